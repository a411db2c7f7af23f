import { Injectable } from '@nestjs/common';
import { PrismaService, type Tx } from '../../platform/prisma/prisma.service';

@Injectable()
export class StripeWebhooksRepository {
  constructor(private readonly prisma: PrismaService) {}

  transaction<T>(fn: (tx: Tx) => Promise<T>): Promise<T> {
    return this.prisma.$transaction(fn);
  }

  /** Records the event id; false when it was already recorded (a redelivery). */
  async record(tx: Tx, id: string, type: string, at: Date): Promise<boolean> {
    const inserted = await tx.$executeRaw`
      INSERT INTO stripe_events (id, type, received_at) VALUES (${id}, ${type}, ${at}) ON CONFLICT (id) DO NOTHING`;
    return inserted === 1;
  }
}
