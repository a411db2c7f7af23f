import { Injectable } from '@nestjs/common';
import type { Principal } from '../../platform/access/principal';
import type { ReplayReader } from '../../platform/idempotency/replay-secrets';
import type { PurchaseDto } from './dto/licensing.dto';
import { PurchasesService } from './purchases.service';

/**
 * What a replay of POST /purchases or /purchases/:id/confirm answers: the purchase as it is now,
 * as GET /purchases/:id shows it to its buyer. Its client_secret is never kept in the replay
 * store; it is read again here (from the purchase, the copy of the PaymentIntent's), and only
 * while a payment is due.
 */
@Injectable()
export class PurchaseReplay implements ReplayReader {
  constructor(private readonly purchases: PurchasesService) {}

  reread(principal: Principal, first: Readonly<Record<string, unknown>>): Promise<PurchaseDto> {
    return this.purchases.get(principal, String(first.id));
  }
}
