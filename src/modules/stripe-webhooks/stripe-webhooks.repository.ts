import { Injectable } from '@nestjs/common';
import { PrismaService, type Tx } from '../../platform/prisma/prisma.service';

@Injectable()
export class StripeWebhooksRepository {
  constructor(private readonly prisma: PrismaService) {}

  /** Whether the event id was applied already (a redelivery: nothing to read from Stripe). */
  async seen(id: string): Promise<boolean> {
    return !!(await this.prisma.stripeEvent.findUnique({ where: { id }, select: { id: true } }));
  }

  /**
   * Records the event id and runs its effect in one transaction; false when the id was already
   * recorded (a concurrent redelivery). An effect that throws leaves no record.
   */
  apply(
    event: { id: string; type: string },
    at: Date,
    effect: ((tx: Tx) => Promise<void>) | null,
  ): Promise<boolean> {
    return this.prisma.$transaction(async (tx) => {
      const inserted = await tx.$executeRaw`
        INSERT INTO stripe_events (id, type, received_at) VALUES (${event.id}, ${event.type}, ${at})
        ON CONFLICT (id) DO NOTHING`;
      if (inserted !== 1) return false;
      if (effect) await effect(tx);
      return true;
    });
  }
}
