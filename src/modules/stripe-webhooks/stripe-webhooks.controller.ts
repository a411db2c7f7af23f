import { Controller, Headers, HttpCode, HttpStatus, Post, Req } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { Access } from '../../platform/access/access.decorator';
import { ApiErrors } from '../../platform/docs/api-errors.decorator';
import { NoRateLimit } from '../../platform/rate-limit/rate-limit.decorator';
import { StripeWebhookErrors } from './stripe-webhooks.errors';
import { StripeWebhooksService } from './stripe-webhooks.service';

@ApiTags('webhooks')
@Controller('webhooks')
export class StripeWebhooksController {
  constructor(private readonly webhooks: StripeWebhooksService) {}

  @Post('stripe')
  @HttpCode(HttpStatus.OK)
  @Access.public({ maintenanceExempt: true })
  @NoRateLimit()
  @ApiOperation({
    summary: 'Stripe events (signed): purchases fulfilled, refunded, disputed; subscriptions',
    description:
      'The raw body is verified against Stripe-Signature (300 s tolerance). Each event id takes effect once; any delivery order converges to the same state.',
  })
  @ApiErrors(StripeWebhookErrors.signatureInvalid)
  receive(
    @Req() req: FastifyRequest & { rawBody?: Buffer },
    @Headers('stripe-signature') signature?: string,
  ): Promise<{ received: true; duplicate: boolean }> {
    return this.webhooks.handle(this.webhooks.verify(req.rawBody, signature));
  }
}
