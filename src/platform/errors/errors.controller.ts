import { Controller, Get, Inject } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { Access } from '../access/access.decorator';
import type { ErrorDefinition } from './app-error';
import { ErrorCatalogueDto } from './errors.dto';

export const ERROR_CATALOGUE = Symbol('ERROR_CATALOGUE');

@ApiTags('operations')
@Controller('errors')
export class ErrorsController {
  constructor(@Inject(ERROR_CATALOGUE) private readonly catalogue: readonly ErrorDefinition[]) {}

  @Get()
  @Access.anonymous({ maintenanceExempt: true })
  @ApiOperation({ summary: 'The error catalogue: every code this API answers, with status and meaning' })
  list(): ErrorCatalogueDto {
    return {
      data: this.catalogue.map(({ module, code, status, message, description }) => ({
        module,
        code,
        status,
        message,
        description,
      })),
    };
  }
}
