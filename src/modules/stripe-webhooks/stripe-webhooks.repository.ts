import { Injectable } from '@nestjs/common';
import { PrismaService, type SqlTx, type Tx } from '../../platform/prisma/prisma.service';

const RECORD_EVENT = `INSERT INTO stripe_events (id, type, received_at) VALUES ($1, $2, $3) ON CONFLICT (id) DO NOTHING`;

/** What an event does once recorded: nothing, a purchase's fact (pg) or a subscription's (Prisma). */
export type EventEffect =
  | { kind: 'ignore' }
  | { kind: 'payment'; run: (tx: SqlTx) => Promise<unknown> }
  | { kind: 'subscription'; run: (tx: Tx) => Promise<void> };

@Injectable()
export class StripeWebhooksRepository {
  constructor(private readonly prisma: PrismaService) {}

  /** Whether the event id was applied already (a redelivery: nothing to read from Stripe). */
  async seen(id: string): Promise<boolean> {
    return (
      (await this.prisma.sql('SELECT 1 FROM stripe_events WHERE id = $1', [id], 'stripe_event_seen')).length >
      0
    );
  }

  /**
   * Records the event id and runs its effect in one transaction; false when the id was already
   * recorded (a concurrent redelivery). An effect that throws leaves no record. An event without
   * effect is one statement; a purchase's effect runs in a pg transaction (Fulfilment), a
   * subscription's in a Prisma one (SubscriptionsService).
   */
  async apply(event: { id: string; type: string }, at: Date, effect: EventEffect): Promise<boolean> {
    const params = [event.id, event.type, at];
    switch (effect.kind) {
      case 'ignore':
        return (await this.prisma.execute(RECORD_EVENT, params, 'stripe_event_record')) === 1;
      case 'payment':
        return this.prisma.transaction(async (tx) => {
          if ((await tx.execute(RECORD_EVENT, params, 'stripe_event_record')) !== 1) return false;
          await effect.run(tx);
          return true;
        });
      case 'subscription':
        return this.prisma.$transaction(async (tx) => {
          const inserted = await tx.$executeRaw`
            INSERT INTO stripe_events (id, type, received_at) VALUES (${event.id}, ${event.type}, ${at})
            ON CONFLICT (id) DO NOTHING`;
          if (inserted !== 1) return false;
          await effect.run(tx);
          return true;
        });
    }
  }
}
