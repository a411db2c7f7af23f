import { Injectable } from '@nestjs/common';
import { Prisma, type License, type LicenseType, type Purchase } from '@prisma/client';
import { randomBytes } from 'node:crypto';
import { newId } from '../../platform/ids';
import { type Keyset, olderThan } from '../../platform/pagination/pagination';
import { PrismaService, type Tx } from '../../platform/prisma/prisma.service';

export const LICENSE_INCLUDE = {
  track: { select: { title: true } },
  holder: { select: { displayName: true, status: true } },
} as const;
export type LicenseRow = Prisma.LicenseGetPayload<{ include: typeof LICENSE_INCLUDE }>;
export type PurchaseRow = Purchase & { license: { id: string } | null };

/** Certificate numbers anyone can verify: BP-XXXX-XXXX-XXXX (no look-alike characters). */
function certificateNumber(): string {
  const alphabet = '23456789ABCDEFGHJKLMNPQRSTUVWXYZ';
  const bytes = randomBytes(12);
  const chars = [...bytes].map((b) => alphabet[b % alphabet.length]).join('');
  return `BP-${chars.slice(0, 4)}-${chars.slice(4, 8)}-${chars.slice(8, 12)}`;
}

const isUniqueViolation = (e: unknown) =>
  e instanceof Prisma.PrismaClientKnownRequestError && e.code === 'P2002';

@Injectable()
export class LicensingRepository {
  constructor(private readonly prisma: PrismaService) {}

  transaction<T>(fn: (tx: Tx) => Promise<T>): Promise<T> {
    return this.prisma.$transaction(fn);
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
    return this.prisma.$transaction(async (tx) => {
      const { count } = await tx.track.updateMany({
        where: { id: trackId, ...(expectedVersion !== undefined ? { offersVersion: expectedVersion } : {}) },
        data: { offersVersion: { increment: 1 } },
      });
      if (!count) return false;
      await tx.licenseOffer.deleteMany({ where: { trackId } });
      await tx.licenseOffer.createMany({ data: offers.map((o) => ({ trackId, ...o, updatedAt: at })) });
      return true;
    });
  }

  // ---- licenses ---------------------------------------------------------------------------------

  async hasActiveExclusive(trackId: string, tx?: Tx): Promise<boolean> {
    return !!(await (tx ?? this.prisma).license.findFirst({
      where: { trackId, type: 'exclusive', status: 'active' },
      select: { id: true },
    }));
  }

  activeLicense(holderId: string, trackId: string, type: LicenseType, tx?: Tx): Promise<License | null> {
    return (tx ?? this.prisma).license.findFirst({ where: { holderId, trackId, type, status: 'active' } });
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
    await tx.$executeRaw`SAVEPOINT issue_license`;
    try {
      const license = await tx.license.create({
        data: {
          id: newId('lic'),
          purchaseId: data.purchaseId,
          holderId: data.holderId,
          trackId: data.trackId,
          type: data.type,
          status: data.revoked ? 'revoked' : 'active',
          certificateNumber: certificateNumber(),
          priceCents: data.priceCents,
          currency: data.currency,
          source: data.source,
          issuedAt: data.at,
          revokedAt: data.revoked?.at ?? null,
          revokedReason: data.revoked?.reason ?? null,
        },
      });
      await tx.$executeRaw`RELEASE SAVEPOINT issue_license`;
      return license;
    } catch (e) {
      await tx.$executeRaw`ROLLBACK TO SAVEPOINT issue_license`;
      if (isUniqueViolation(e)) return null;
      throw e;
    }
  }

  /** Revokes active licenses matching `where`; returns how many changed. */
  async revokeLicenses(tx: Tx, where: Prisma.LicenseWhereInput, reason: string, at: Date): Promise<number> {
    const { count } = await tx.license.updateMany({
      where: { ...where, status: 'active' },
      data: { status: 'revoked', revokedAt: at, revokedReason: reason },
    });
    return count;
  }

  license(id: string): Promise<LicenseRow | null> {
    return this.prisma.license.findUnique({ where: { id }, include: LICENSE_INCLUDE });
  }

  licenseByCertificate(certificateNumber: string): Promise<LicenseRow | null> {
    return this.prisma.license.findUnique({ where: { certificateNumber }, include: LICENSE_INCLUDE });
  }

  licenseByPurchase(purchaseId: string, tx?: Tx): Promise<License | null> {
    return (tx ?? this.prisma).license.findUnique({ where: { purchaseId } });
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

  createPurchase(data: {
    buyerId: string;
    trackId: string;
    type: LicenseType;
    priceCents: number;
    feeCents: number;
    currency: string;
    expiresAt: Date;
    at: Date;
  }): Promise<Purchase> {
    return this.prisma.purchase.create({
      data: {
        id: newId('pur'),
        buyerId: data.buyerId,
        trackId: data.trackId,
        licenseType: data.type,
        priceCents: data.priceCents,
        platformFeeCents: data.feeCents,
        amountCents: data.priceCents + data.feeCents,
        currency: data.currency,
        status: 'requires_payment',
        expiresAt: data.expiresAt,
        createdAt: data.at,
        updatedAt: data.at,
      },
    });
  }

  async attachPaymentIntent(
    id: string,
    paymentIntentId: string,
    clientSecret: string,
    at: Date,
  ): Promise<void> {
    await this.prisma.purchase.update({
      where: { id },
      data: { stripePaymentIntentId: paymentIntentId, clientSecret, updatedAt: at },
    });
  }

  /** A purchase Stripe never accepted leaves nothing behind. */
  async discardPurchase(id: string): Promise<void> {
    await this.prisma.purchase.deleteMany({ where: { id, stripePaymentIntentId: null } });
  }

  purchase(id: string): Promise<PurchaseRow | null> {
    return this.prisma.purchase.findUnique({ where: { id }, include: { license: { select: { id: true } } } });
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

  /** The purchase behind a PaymentIntent, locked for the rest of the transaction. */
  async lockPurchaseByPaymentIntent(tx: Tx, paymentIntentId: string): Promise<Purchase | null> {
    const rows = await tx.$queryRaw<{ id: string }[]>`
      SELECT id FROM purchases WHERE stripe_payment_intent_id = ${paymentIntentId} FOR UPDATE`;
    return rows[0] ? tx.purchase.findUnique({ where: { id: rows[0].id } }) : null;
  }

  async lockPurchase(tx: Tx, id: string): Promise<Purchase | null> {
    const rows = await tx.$queryRaw<{ id: string }[]>`SELECT id FROM purchases WHERE id = ${id} FOR UPDATE`;
    return rows[0] ? tx.purchase.findUnique({ where: { id } }) : null;
  }

  /** Sales of one track take turns inside transactions (exclusive vs. leases at the same moment). */
  async lockTrackSales(tx: Tx, trackId: string): Promise<void> {
    await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtextextended(${`sales:${trackId}`}, 0))`;
  }

  async updatePurchase(tx: Tx, id: string, data: Prisma.PurchaseUpdateInput): Promise<void> {
    await tx.purchase.update({ where: { id }, data });
  }

  purchaseByPaymentIntent(paymentIntentId: string): Promise<Purchase | null> {
    return this.prisma.purchase.findUnique({ where: { stripePaymentIntentId: paymentIntentId } });
  }

  /** Only a purchase still waiting for payment expires (the claim before Stripe is told). */
  async expirePurchase(tx: Tx, id: string, at: Date): Promise<boolean> {
    const { count } = await tx.purchase.updateMany({
      where: { id, status: 'requires_payment', paidAt: null, expiresAt: { lte: at } },
      data: { status: 'expired', updatedAt: at },
    });
    return count === 1;
  }

  async recordPaymentError(id: string, message: string, at: Date): Promise<void> {
    await this.prisma.purchase.updateMany({
      where: { id, status: 'requires_payment' },
      data: { lastError: message, updatedAt: at },
    });
  }
}
