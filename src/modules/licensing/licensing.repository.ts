import { Injectable } from '@nestjs/common';
import { Prisma, type License, type LicenseType, type Purchase } from '@prisma/client';
import { randomBytes } from 'node:crypto';
import { newId } from '../../platform/ids';
import { type Keyset, olderThan } from '../../platform/pagination/pagination';
import { Database, type Tx } from '../../platform/database/database';
import { pgErrorOf } from '../../platform/database/db-errors';
import { PrismaService } from '../../platform/prisma/prisma.service';

export const LICENSE_INCLUDE = {
  track: { select: { title: true } },
  holder: { select: { displayName: true, status: true } },
} as const;
export type LicenseRow = Prisma.LicenseGetPayload<{ include: typeof LICENSE_INCLUDE }>;
export type PurchaseRow = Purchase & { license: { id: string } | null };

/** A purchase row as pg returns it (camel-cased), with the id of its license if any. */
const PURCHASE_COLUMNS = `p.id, p.buyer_id AS "buyerId", p.track_id AS "trackId", p.license_type AS "licenseType",
  p.price_cents AS "priceCents", p.platform_fee_cents AS "platformFeeCents", p.amount_cents AS "amountCents",
  p.currency, p.status, p.stripe_payment_intent_id AS "stripePaymentIntentId", p.client_secret AS "clientSecret",
  p.last_error AS "lastError", p.paid_at AS "paidAt", p.refunded_at AS "refundedAt", p.disputed_at AS "disputedAt",
  p.expires_at AS "expiresAt", p.created_at AS "createdAt", p.updated_at AS "updatedAt",
  p.dispute_closed_at AS "disputeClosedAt", p.dispute_outcome AS "disputeOutcome",
  p.refund_requested_at AS "refundRequestedAt", p.refund_requested_by AS "refundRequestedBy",
  p.refund_reason AS "refundReason"`;
const WITH_LICENSE = `(SELECT l.id FROM licenses l WHERE l.purchase_id = p.id) AS "licenseId"`;
type RawPurchase = Purchase & { licenseId: string | null };
const toPurchaseRow = ({ licenseId, ...p }: RawPurchase): PurchaseRow => ({
  ...p,
  license: licenseId ? { id: licenseId } : null,
});

/** What a new checkout is checked against, read in one statement (PurchasesService.create). */
export interface PurchaseContext {
  track: {
    id: string;
    ownerId: string;
    source: 'upload' | 'external';
    processingStatus: 'pending' | 'processing' | 'ready' | 'failed' | null;
    collaborators: { userId: string }[];
  };
  exclusiveSold: boolean;
  offer: { type: LicenseType; priceCents: number; currency: string } | null;
  owned: boolean;
}

/** A fact Stripe told us about a payment (Fulfilment). */
export type PaymentFact = 'paid' | 'refunded' | 'disputed' | 'dispute_won' | 'dispute_lost';

/** Certificate numbers anyone can verify: BP-XXXX-XXXX-XXXX (no look-alike characters). */
function certificateNumber(): string {
  const alphabet = '23456789ABCDEFGHJKLMNPQRSTUVWXYZ';
  const bytes = randomBytes(12);
  const chars = [...bytes].map((b) => alphabet[b % alphabet.length]).join('');
  return `BP-${chars.slice(0, 4)}-${chars.slice(4, 8)}-${chars.slice(8, 12)}`;
}

const isUniqueViolation = (e: unknown) => pgErrorOf(e)?.code === '23505';

/** A license row as Prisma returned it (camel-cased). */
const LICENSE_COLUMNS = `id, purchase_id AS "purchaseId", holder_id AS "holderId", track_id AS "trackId", type, status,
  certificate_number AS "certificateNumber", price_cents AS "priceCents", currency, source, issued_at AS "issuedAt",
  revoked_at AS "revokedAt", revoked_reason AS "revokedReason"`;

@Injectable()
export class LicensingRepository {
  constructor(
    private readonly db: Database,
    private readonly prisma: PrismaService,
  ) {}

  /** The module's transactions (pg, on the shared pool): `Database.transaction`. */
  transaction<T>(fn: (tx: Tx) => Promise<T>): Promise<T> {
    return this.db.transaction(fn);
  }

  // ---- offers -----------------------------------------------------------------------------------

  offers(trackId: string) {
    return this.prisma.licenseOffer.findMany({ where: { trackId }, orderBy: { priceCents: 'asc' } });
  }

  offer(trackId: string, type: LicenseType) {
    return this.prisma.licenseOffer.findUnique({ where: { trackId_type: { trackId, type } } });
  }

  /** Replaces the set when the offers version matches (if given). */
  async replaceOffers(
    trackId: string,
    offers: { type: LicenseType; priceCents: number; currency: string }[],
    expectedVersion: number | undefined,
    at: Date,
  ): Promise<boolean> {
    return this.db.transaction(async (tx) => {
      const count = await tx.execute(
        `UPDATE tracks SET offers_version = offers_version + 1
         WHERE id = $1 AND ($2::int IS NULL OR offers_version = $2)`,
        [trackId, expectedVersion ?? null],
      );
      if (!count) return false;
      await tx.execute('DELETE FROM license_offers WHERE track_id = $1', [trackId]);
      await tx.execute(
        `INSERT INTO license_offers (track_id, type, price_cents, currency, updated_at)
         SELECT $1, o.type, o.price_cents, o.currency, $5
         FROM unnest($2::license_type[], $3::int[], $4::text[]) AS o(type, price_cents, currency)`,
        [
          trackId,
          offers.map((o) => o.type),
          offers.map((o) => o.priceCents),
          offers.map((o) => o.currency),
          at,
        ],
      );
      return true;
    });
  }

  // ---- licenses ---------------------------------------------------------------------------------

  async hasActiveExclusive(trackId: string, tx?: Tx): Promise<boolean> {
    const rows = await (tx ?? this.db).query<{ id: string }>(
      `SELECT id FROM licenses WHERE track_id = $1 AND type = 'exclusive' AND status = 'active' LIMIT 1`,
      [trackId],
      'license_active_exclusive',
    );
    return rows.length > 0;
  }

  async activeLicense(
    holderId: string,
    trackId: string,
    type: LicenseType,
    tx?: Tx,
  ): Promise<License | null> {
    const [license] = await (tx ?? this.db).query<License>(
      `SELECT ${LICENSE_COLUMNS} FROM licenses
       WHERE holder_id = $1 AND track_id = $2 AND type = $3::license_type AND status = 'active' LIMIT 1`,
      [holderId, trackId, type],
      'license_active_of_holder',
    );
    return license ?? null;
  }

  /**
   * Inserts a license; null when the partial unique indexes refuse it (an active exclusive exists
   * for the track, or the holder already has an active license of the type). Inside a savepoint,
   * so the caller's transaction goes on.
   */
  async insertLicense(
    tx: Tx,
    data: {
      purchaseId: string | null;
      holderId: string;
      trackId: string;
      type: LicenseType;
      priceCents: number;
      currency: string;
      source: 'purchase' | 'plan';
      revoked?: { at: Date; reason: string };
      at: Date;
    },
  ): Promise<License | null> {
    await tx.execute(`SAVEPOINT issue_license`);
    try {
      const [license] = await tx.query<License>(
        `INSERT INTO licenses (id, purchase_id, holder_id, track_id, type, status, certificate_number, price_cents,
                               currency, source, issued_at, revoked_at, revoked_reason)
         VALUES ($1, $2, $3, $4, $5::license_type, $6::license_status, $7, $8, $9, $10, $11, $12, $13)
         RETURNING ${LICENSE_COLUMNS}`,
        [
          newId('lic'),
          data.purchaseId,
          data.holderId,
          data.trackId,
          data.type,
          data.revoked ? 'revoked' : 'active',
          certificateNumber(),
          data.priceCents,
          data.currency,
          data.source,
          data.at,
          data.revoked?.at ?? null,
          data.revoked?.reason ?? null,
        ],
      );
      await tx.execute(`RELEASE SAVEPOINT issue_license`);
      return license;
    } catch (e) {
      await tx.execute(`ROLLBACK TO SAVEPOINT issue_license`);
      if (isUniqueViolation(e)) return null;
      throw e;
    }
  }

  /** Revokes the license `where.id` if it is active; returns how many changed (0 or 1). */
  async revokeLicenses(tx: Tx, where: { id: string }, reason: string, at: Date): Promise<number> {
    return tx.execute(
      `UPDATE licenses SET status = 'revoked', revoked_at = $3, revoked_reason = $2 WHERE id = $1 AND status = 'active'`,
      [where.id, reason, at],
    );
  }

  license(id: string): Promise<LicenseRow | null> {
    return this.prisma.license.findUnique({ where: { id }, include: LICENSE_INCLUDE });
  }

  licenseByCertificate(certificateNumber: string): Promise<LicenseRow | null> {
    return this.prisma.license.findUnique({ where: { certificateNumber }, include: LICENSE_INCLUDE });
  }

  licenses(holderId: string, take: number, after?: Keyset): Promise<LicenseRow[]> {
    return this.prisma.license.findMany({
      where: {
        holderId,
        ...(after
          ? { OR: [{ issuedAt: { lt: after.at } }, { issuedAt: after.at, id: { lt: after.id } }] }
          : {}),
      },
      include: LICENSE_INCLUDE,
      orderBy: [{ issuedAt: 'desc' }, { id: 'desc' }],
      take,
    });
  }

  // ---- purchases --------------------------------------------------------------------------------

  /**
   * Everything a new checkout is checked against, in one statement: the track with its credited
   * users, whether its exclusive is sold, the offer of the type, whether the buyer already holds
   * that license. Null when the track does not exist. The unique indexes still decide at
   * fulfilment; this only answers the buyer early.
   */
  async purchaseContext(
    buyerId: string,
    trackId: string,
    type: LicenseType,
  ): Promise<PurchaseContext | null> {
    const [row] = await this.db.query<{
      id: string;
      ownerId: string;
      source: 'upload' | 'external';
      processingStatus: PurchaseContext['track']['processingStatus'];
      collaborators: string[];
      exclusiveSold: boolean;
      offerType: LicenseType | null;
      priceCents: number | null;
      currency: string | null;
      owned: boolean;
    }>(
      `SELECT t.id, t.owner_id AS "ownerId", t.source, t.processing_status AS "processingStatus",
              ARRAY(SELECT c.user_id FROM track_collaborators c WHERE c.track_id = t.id) AS collaborators,
              EXISTS (SELECT 1 FROM licenses l WHERE l.track_id = t.id AND l.type = 'exclusive' AND l.status = 'active')
                AS "exclusiveSold",
              o.type AS "offerType", o.price_cents AS "priceCents", o.currency,
              EXISTS (SELECT 1 FROM licenses l WHERE l.holder_id = $2 AND l.track_id = t.id
                        AND l.type = $3::license_type AND l.status = 'active') AS owned
       FROM tracks t LEFT JOIN license_offers o ON o.track_id = t.id AND o.type = $3::license_type
       WHERE t.id = $1`,
      [trackId, buyerId, type],
      'purchase_context',
    );
    if (!row) return null;
    return {
      track: {
        id: row.id,
        ownerId: row.ownerId,
        source: row.source,
        processingStatus: row.processingStatus,
        collaborators: row.collaborators.map((userId) => ({ userId })),
      },
      exclusiveSold: row.exclusiveSold,
      offer:
        row.offerType && row.priceCents !== null
          ? { type: row.offerType, priceCents: row.priceCents, currency: row.currency! }
          : null,
      owned: row.owned,
    };
  }

  async createPurchase(data: {
    buyerId: string;
    trackId: string;
    type: LicenseType;
    priceCents: number;
    feeCents: number;
    currency: string;
    expiresAt: Date;
    at: Date;
  }): Promise<{ id: string; amountCents: number; currency: string }> {
    const id = newId('pur');
    await this.db.execute(
      `INSERT INTO purchases (id, buyer_id, track_id, license_type, price_cents, platform_fee_cents, amount_cents,
                              currency, status, expires_at, created_at, updated_at)
       VALUES ($1, $2, $3, $4::license_type, $5, $6, $7, $8, 'requires_payment', $9, $10, $10)`,
      [
        id,
        data.buyerId,
        data.trackId,
        data.type,
        data.priceCents,
        data.feeCents,
        data.priceCents + data.feeCents,
        data.currency,
        data.expiresAt,
        data.at,
      ],
      'purchase_insert',
    );
    return { id, amountCents: data.priceCents + data.feeCents, currency: data.currency };
  }

  /** Records the PaymentIntent Stripe created for the purchase; returns the purchase. */
  async attachPaymentIntent(
    id: string,
    paymentIntentId: string,
    clientSecret: string,
    at: Date,
  ): Promise<PurchaseRow> {
    const [row] = await this.db.query<RawPurchase>(
      `UPDATE purchases p SET stripe_payment_intent_id = $2, client_secret = $3, updated_at = $4 WHERE p.id = $1
       RETURNING ${PURCHASE_COLUMNS}, NULL AS "licenseId"`,
      [id, paymentIntentId, clientSecret, at],
      'purchase_attach_intent',
    );
    return toPurchaseRow(row);
  }

  /** A purchase Stripe never accepted leaves nothing behind. */
  async discardPurchase(id: string): Promise<void> {
    await this.db.execute('DELETE FROM purchases WHERE id = $1 AND stripe_payment_intent_id IS NULL', [id]);
  }

  async purchase(id: string): Promise<PurchaseRow | null> {
    const [row] = await this.db.query<RawPurchase>(
      `SELECT ${PURCHASE_COLUMNS}, ${WITH_LICENSE} FROM purchases p WHERE p.id = $1`,
      [id],
      'purchase_by_id',
    );
    return row ? toPurchaseRow(row) : null;
  }

  purchases(buyerId: string, take: number, after?: Keyset): Promise<PurchaseRow[]> {
    return this.prisma.purchase.findMany({
      where: {
        buyerId,
        stripePaymentIntentId: { not: null },
        ...olderThan(after),
      },
      include: { license: { select: { id: true } } },
      orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
      take,
    });
  }

  /** Sales of one track take turns inside transactions (exclusive vs. leases at the same moment). */
  async lockTrackSales(tx: Tx, trackId: string): Promise<void> {
    await tx.execute(`SELECT pg_advisory_xact_lock(hashtextextended($1, 0))`, [`sales:${trackId}`]);
  }

  /**
   * Records a fact on the purchase behind a PaymentIntent — the UPDATE takes the row's lock and
   * applies the fact to the latest committed version: paid (paid_at), refunded or disputed (their
   * time, and paid_at, since either implies a payment). A fact already known changes nothing.
   * Returns the purchase as it now is, null when the PaymentIntent is not a purchase's. Its
   * `license` is read at the start of the statement: present means the license exists; absent
   * may be stale if the lock was waited for (see `licenseOf`).
   */
  async recordFact(
    tx: Tx,
    paymentIntentId: string,
    fact: PaymentFact,
    at: Date,
  ): Promise<PurchaseRow | null> {
    const [row] = await tx.query<RawPurchase>(
      `UPDATE purchases p SET
         paid_at = COALESCE(p.paid_at, $2),
         refunded_at = CASE WHEN $3 = 'refunded' THEN COALESCE(p.refunded_at, $2) ELSE p.refunded_at END,
         disputed_at = CASE WHEN $3 LIKE 'dispute%' THEN COALESCE(p.disputed_at, $2) ELSE p.disputed_at END,
         dispute_closed_at = CASE WHEN $3 IN ('dispute_won', 'dispute_lost') THEN COALESCE(p.dispute_closed_at, $2)
                                  ELSE p.dispute_closed_at END,
         dispute_outcome = CASE $3 WHEN 'dispute_won' THEN COALESCE(p.dispute_outcome, 'won')
                                   WHEN 'dispute_lost' THEN COALESCE(p.dispute_outcome, 'lost') ELSE p.dispute_outcome END,
         updated_at = CASE WHEN (CASE $3 WHEN 'paid' THEN p.paid_at WHEN 'refunded' THEN p.refunded_at
                                 WHEN 'disputed' THEN p.disputed_at ELSE p.dispute_closed_at END) IS NULL
                           THEN $2 ELSE p.updated_at END
       WHERE p.stripe_payment_intent_id = $1
       RETURNING ${PURCHASE_COLUMNS}, ${WITH_LICENSE}`,
      [paymentIntentId, at, fact],
      'purchase_record_fact',
    );
    return row ? toPurchaseRow(row) : null;
  }

  /**
   * Under the purchase's lock (after `recordFact`): takes the track's sales lock — sales of one
   * track take turns, exclusive against leases — and reads the purchase's license afresh.
   */
  async lockSalesAndReadLicense(tx: Tx, purchaseId: string, trackId: string): Promise<string | null> {
    const [row] = await tx.query<{ licenseId: string | null }>(
      `SELECT pg_advisory_xact_lock(hashtextextended($2, 0)),
              (SELECT id FROM licenses WHERE purchase_id = $1) AS "licenseId"`,
      [purchaseId, `sales:${trackId}`],
      'purchase_lock_sales',
    );
    return row.licenseId;
  }

  /**
   * Issues the purchase's license unless the track's exclusive is sold; null when refused (an
   * active exclusive, or the partial unique indexes: the buyer already holds that license, or
   * the exclusive went to someone else). Run under the track's sales lock.
   */
  async issuePurchaseLicense(
    tx: Tx,
    p: Purchase,
    revoked: { at: Date; reason: string } | null,
    at: Date,
  ): Promise<string | null> {
    const [row] = await tx.query<{ id: string }>(
      `INSERT INTO licenses (id, purchase_id, holder_id, track_id, type, status, certificate_number, price_cents,
                             currency, source, issued_at, revoked_at, revoked_reason)
       SELECT $1, $2, $3, $4, $5::license_type, $6::license_status, $7, $8, $9, 'purchase', $10, $11, $12
       WHERE NOT EXISTS (SELECT 1 FROM licenses WHERE track_id = $4 AND type = 'exclusive' AND status = 'active')
       ON CONFLICT DO NOTHING
       RETURNING id`,
      [
        newId('lic'),
        p.id,
        p.buyerId,
        p.trackId,
        p.licenseType,
        revoked ? 'revoked' : 'active',
        certificateNumber(),
        p.priceCents,
        p.currency,
        at,
        revoked?.at ?? null,
        revoked?.reason ?? null,
      ],
      'purchase_issue_license',
    );
    return row?.id ?? null;
  }

  /**
   * Claims a refund of the purchase (status `refunding`), under the purchase's row lock, which a
   * download takes too (FOR SHARE): a download and a refund request racing each other are taken
   * one after the other, and the later one sees the earlier. Returns why not, or the purchase.
   */
  async claimRefund(
    tx: Tx,
    id: string,
    by: { buyerId: string } | { adminId: string; reason: string },
    windowHours: number,
    at: Date,
  ): Promise<
    | 'not_found'
    | 'already_refunded'
    | 'disputed'
    | 'not_eligible'
    | 'window_expired'
    | 'downloaded'
    | { purchase: PurchaseRow }
  > {
    const [locked] = await tx.query<RawPurchase>(
      `SELECT ${PURCHASE_COLUMNS}, ${WITH_LICENSE} FROM purchases p WHERE p.id = $1 FOR UPDATE`,
      [id],
    );
    // read after the lock, in a statement of its own: its snapshot sees a download that held the
    // row (FOR SHARE) until it committed — the locking statement's own snapshot was taken before
    const [lic] = locked
      ? await tx.query<{ downloadedAt: Date | null }>(
          'SELECT downloaded_at AS "downloadedAt" FROM licenses WHERE purchase_id = $1',
          [id],
        )
      : [];
    const p = locked && { ...locked, downloadedAt: lic?.downloadedAt ?? null };
    const buyer = 'buyerId' in by;
    if (!p || (buyer && p.buyerId !== by.buyerId)) return 'not_found';
    if (p.refundedAt || p.refundRequestedAt || p.status === 'refunding' || p.status === 'refunded')
      return 'already_refunded';
    if (p.disputedAt && !p.disputeClosedAt) return 'disputed';
    if (!p.paidAt || !p.licenseId || p.status !== 'succeeded') return 'not_eligible';
    if (buyer && at.getTime() - p.paidAt.getTime() > windowHours * 3_600_000) return 'window_expired';
    if (buyer && p.downloadedAt) return 'downloaded';
    const [row] = await tx.query<RawPurchase>(
      `UPDATE purchases p SET status = 'refunding', refund_requested_at = $2, refund_requested_by = $3,
         refund_reason = $4, updated_at = $2
       WHERE p.id = $1 RETURNING ${PURCHASE_COLUMNS}, ${WITH_LICENSE}`,
      [id, at, buyer ? 'buyer' : 'admin', buyer ? null : by.reason],
    );
    return { purchase: toPurchaseRow(row) };
  }

  /** A refund Stripe refused: the purchase is paid (and refundable) again. False when not claimed. */
  async withdrawRefund(tx: Tx, id: string, at: Date): Promise<boolean> {
    return (
      (await tx.execute(
        `UPDATE purchases SET status = 'succeeded', refund_requested_at = NULL, refund_requested_by = NULL,
           refund_reason = NULL, updated_at = $2
         WHERE id = $1 AND status = 'refunding' AND refunded_at IS NULL`,
        [id, at],
      )) === 1
    );
  }

  /**
   * A download of the license's file: refused while its purchase is being refunded (`refunding`)
   * or its payment disputed (`frozen`); else its first download is recorded. Under the purchase's
   * row lock (FOR SHARE), which a refund claim takes FOR UPDATE.
   */
  async recordDownload(licenseId: string, at: Date): Promise<'ok' | 'refunding' | 'frozen' | 'revoked'> {
    return this.db.transaction(async (tx) => {
      const [p] = await tx.query<{ status: string; disputedAt: Date | null; disputeClosedAt: Date | null }>(
        `SELECT p.status, p.disputed_at AS "disputedAt", p.dispute_closed_at AS "disputeClosedAt"
         FROM purchases p WHERE p.id = (SELECT purchase_id FROM licenses WHERE id = $1) FOR SHARE`,
        [licenseId],
      );
      if (p?.status === 'refunding' || p?.status === 'refunded') return 'refunding';
      if (p?.disputedAt && !p.disputeClosedAt) return 'frozen';
      const changed = await tx.execute(
        `UPDATE licenses SET downloaded_at = COALESCE(downloaded_at, $2) WHERE id = $1 AND status = 'active'`,
        [licenseId, at],
      );
      return changed ? 'ok' : 'revoked';
    });
  }

  /** The license's payment is disputed and the dispute still open. */
  async licenseFrozen(licenseId: string): Promise<boolean> {
    const [row] = await this.db.query<{ frozen: boolean }>(
      `SELECT EXISTS (SELECT 1 FROM licenses l JOIN purchases p ON p.id = l.purchase_id
                      WHERE l.id = $1 AND p.disputed_at IS NOT NULL AND p.dispute_closed_at IS NULL) AS frozen`,
      [licenseId],
    );
    return row.frozen;
  }

  async revokeLicense(tx: Tx, id: string, reason: string, at: Date): Promise<void> {
    await tx.execute(
      `UPDATE licenses SET status = 'revoked', revoked_at = $3, revoked_reason = $2 WHERE id = $1 AND status = 'active'`,
      [id, reason, at],
    );
  }

  async setPurchaseStatus(tx: Tx, id: string, status: Purchase['status'], at: Date): Promise<void> {
    await tx.execute(
      'UPDATE purchases SET status = $2::purchase_status, updated_at = $3 WHERE id = $1',
      [id, status, at],
      'purchase_set_status',
    );
  }

  /** A decline, for the buyer to read, while the purchase is not paid. */
  async recordPaymentFailure(tx: Tx, paymentIntentId: string, message: string, at: Date): Promise<void> {
    await tx.execute(
      'UPDATE purchases SET last_error = $2, updated_at = $3 WHERE stripe_payment_intent_id = $1 AND paid_at IS NULL',
      [paymentIntentId, message, at],
    );
  }

  async purchaseByPaymentIntent(paymentIntentId: string): Promise<PurchaseRow | null> {
    const [row] = await this.db.query<RawPurchase>(
      `SELECT ${PURCHASE_COLUMNS}, ${WITH_LICENSE} FROM purchases p WHERE p.stripe_payment_intent_id = $1`,
      [paymentIntentId],
      'purchase_by_intent',
    );
    return row ? toPurchaseRow(row) : null;
  }

  /** Only a purchase still waiting for payment expires (the claim before Stripe is told). */
  async expirePurchase(tx: Tx, id: string, at: Date): Promise<boolean> {
    return (
      (await tx.execute(
        `UPDATE purchases SET status = 'expired', updated_at = $2
         WHERE id = $1 AND status = 'requires_payment' AND paid_at IS NULL AND expires_at <= $2`,
        [id, at],
      )) === 1
    );
  }

  async recordPaymentError(id: string, message: string, at: Date): Promise<void> {
    await this.db.execute(
      `UPDATE purchases SET last_error = $2, updated_at = $3 WHERE id = $1 AND status = 'requires_payment'`,
      [id, message, at],
    );
  }
}
