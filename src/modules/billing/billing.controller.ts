import { Controller, Get } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { Access } from '../../platform/access/access.decorator';
import { BillingService } from './billing.service';
import { PlanListDto } from './dto/plan.dto';

@ApiTags('billing')
@Controller()
export class BillingController {
  constructor(private readonly billing: BillingService) {}

  @Get('plans')
  @Access.public()
  @ApiOperation({ summary: 'The plans, cheapest first (prices in integer cents)' })
  async plans(): Promise<PlanListDto> {
    return { data: await this.billing.plans() };
  }
}
