import { Injectable } from '@nestjs/common';
import { Database, type Tx } from '../../platform/database/database';

const RECORD_EVENT = `INSERT INTO stripe_events (id, type, received_at) VALUES ($1, $2, $3) ON CONFLICT (id) DO NOTHING`;

/**
 * What an event does once recorded: nothing, or its effect in the transaction that records it (a
 * purchase's fact, Fulfilment; a subscription's, SubscriptionsService).
 */
export type EventEffect = { kind: 'ignore' } | { kind: 'apply'; run: (tx: Tx) => Promise<unknown> };

@Injectable()
export class StripeWebhooksRepository {
  constructor(private readonly db: Database) {}

  /** Whether the event id was applied already (a redelivery: nothing to read from Stripe). */
  async seen(id: string): Promise<boolean> {
    return (
      (await this.db.query('SELECT 1 FROM stripe_events WHERE id = $1', [id], 'stripe_event_seen')).length > 0
    );
  }

  /**
   * Records the event id and runs its effect in one transaction; false when the id was already
   * recorded (a concurrent redelivery). An effect that throws leaves no record. An event without
   * effect is one statement.
   */
  async apply(event: { id: string; type: string }, at: Date, effect: EventEffect): Promise<boolean> {
    const params = [event.id, event.type, at];
    if (effect.kind === 'ignore') {
      return (await this.db.execute(RECORD_EVENT, params, 'stripe_event_record')) === 1;
    }
    return this.db.transaction(async (tx) => {
      if ((await tx.execute(RECORD_EVENT, params, 'stripe_event_record')) !== 1) return false;
      await effect.run(tx);
      return true;
    });
  }
}
