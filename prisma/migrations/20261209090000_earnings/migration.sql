-- CreateEnum
CREATE TYPE "credit_status" AS ENUM ('pending', 'accepted', 'declined');

-- CreateEnum
CREATE TYPE "leg_status" AS ENUM ('held', 'open', 'in_transit', 'paid', 'cancelled');

-- CreateEnum
CREATE TYPE "transfer_status" AS ENUM ('claimed', 'sent', 'failed');

-- CreateEnum
CREATE TYPE "reversal_status" AS ENUM ('claimed', 'reversed', 'refused');

-- AlterTable
ALTER TABLE "licenses" ADD COLUMN     "downloaded_at" TIMESTAMPTZ(3);

-- AlterTable
ALTER TABLE "purchases" ADD COLUMN     "dispute_closed_at" TIMESTAMPTZ(3),
ADD COLUMN     "dispute_outcome" TEXT,
ADD COLUMN     "refund_reason" TEXT,
ADD COLUMN     "refund_requested_at" TIMESTAMPTZ(3),
ADD COLUMN     "refund_requested_by" TEXT;

-- AlterTable: credits made before earnings existed count as accepted (only the money waits for
-- acceptance, and nothing was paid on them before), and each gets its id
ALTER TABLE "track_collaborators" ADD COLUMN     "credit_id" TEXT,
ADD COLUMN     "credit_status" "credit_status" NOT NULL DEFAULT 'pending',
ADD COLUMN     "responded_at" TIMESTAMPTZ(3);
UPDATE "track_collaborators"
   SET "credit_id" = 'crd_' || substr(md5("track_id" || ':' || "user_id"), 1, 26),
       "credit_status" = 'accepted';
ALTER TABLE "track_collaborators" ALTER COLUMN "credit_id" SET NOT NULL,
  ALTER COLUMN "credit_id" SET DEFAULT ('crd_'::text || substr(md5((random())::text), 1, 26));

-- CreateTable
CREATE TABLE "payout_accounts" (
    "user_id" TEXT NOT NULL,
    "stripe_account_id" TEXT,
    "country" TEXT NOT NULL,
    "charges_enabled" BOOLEAN NOT NULL DEFAULT false,
    "payouts_enabled" BOOLEAN NOT NULL DEFAULT false,
    "transfers_active" BOOLEAN NOT NULL DEFAULT false,
    "requirements_due" TEXT[] DEFAULT ARRAY[]::TEXT[],
    "disabled_reason" TEXT,
    "state_read_at" TIMESTAMPTZ(3),
    "retry_after" TIMESTAMPTZ(3),
    "failures" INTEGER NOT NULL DEFAULT 0,
    "created_at" TIMESTAMPTZ(3) NOT NULL,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "payout_accounts_pkey" PRIMARY KEY ("user_id")
);

-- CreateTable
CREATE TABLE "earnings_legs" (
    "id" TEXT NOT NULL,
    "user_id" TEXT NOT NULL,
    "credited_user_id" TEXT NOT NULL,
    "purchase_id" TEXT NOT NULL,
    "track_id" TEXT NOT NULL,
    "currency" TEXT NOT NULL,
    "amount_cents" INTEGER NOT NULL,
    "share_bps" INTEGER NOT NULL,
    "kind" TEXT NOT NULL DEFAULT 'sale',
    "status" "leg_status" NOT NULL,
    "available_at" TIMESTAMPTZ(3) NOT NULL,
    "frozen_at" TIMESTAMPTZ(3),
    "voided_at" TIMESTAMPTZ(3),
    "transfer_id" TEXT,
    "recovers_leg_id" TEXT,
    "created_at" TIMESTAMPTZ(3) NOT NULL,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "earnings_legs_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "earnings_legs_share_check" CHECK ("share_bps" BETWEEN 0 AND 10000)
);

-- CreateTable
CREATE TABLE "transfers" (
    "id" TEXT NOT NULL,
    "user_id" TEXT NOT NULL,
    "stripe_account_id" TEXT NOT NULL,
    "currency" TEXT NOT NULL,
    "amount_cents" INTEGER NOT NULL,
    "status" "transfer_status" NOT NULL,
    "stripe_transfer_id" TEXT,
    "failure" TEXT,
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "created_at" TIMESTAMPTZ(3) NOT NULL,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "transfers_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "transfers_amount_check" CHECK ("amount_cents" > 0)
);

-- CreateTable
CREATE TABLE "reversals" (
    "id" TEXT NOT NULL,
    "leg_id" TEXT NOT NULL,
    "transfer_id" TEXT NOT NULL,
    "amount_cents" INTEGER NOT NULL,
    "status" "reversal_status" NOT NULL,
    "stripe_reversal_id" TEXT,
    "created_at" TIMESTAMPTZ(3) NOT NULL,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "reversals_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "payout_accounts_stripe_account_id_key" ON "payout_accounts"("stripe_account_id");

-- CreateIndex
CREATE UNIQUE INDEX "earnings_legs_recovers_leg_id_key" ON "earnings_legs"("recovers_leg_id");

-- CreateIndex
CREATE INDEX "earnings_legs_user_id_currency_status_available_at_idx" ON "earnings_legs"("user_id", "currency", "status", "available_at");

-- CreateIndex
CREATE INDEX "earnings_legs_user_id_created_at_id_idx" ON "earnings_legs"("user_id", "created_at" DESC, "id" DESC);

-- CreateIndex
CREATE INDEX "earnings_legs_purchase_id_idx" ON "earnings_legs"("purchase_id");

-- CreateIndex
CREATE INDEX "earnings_legs_transfer_id_idx" ON "earnings_legs"("transfer_id");

-- CreateIndex
CREATE UNIQUE INDEX "transfers_stripe_transfer_id_key" ON "transfers"("stripe_transfer_id");

-- CreateIndex
CREATE INDEX "transfers_user_id_created_at_idx" ON "transfers"("user_id", "created_at" DESC);

-- CreateIndex
CREATE INDEX "transfers_status_updated_at_idx" ON "transfers"("status", "updated_at");

-- CreateIndex: one leg per credited person per sale
CREATE UNIQUE INDEX "earnings_legs_sale_key" ON "earnings_legs"("purchase_id", "credited_user_id") WHERE "kind" = 'sale';

-- CreateIndex
CREATE UNIQUE INDEX "reversals_leg_id_key" ON "reversals"("leg_id");

-- CreateIndex
CREATE INDEX "reversals_status_idx" ON "reversals"("status");

-- CreateIndex
CREATE UNIQUE INDEX "track_collaborators_credit_id_key" ON "track_collaborators"("credit_id");

-- AddForeignKey
ALTER TABLE "payout_accounts" ADD CONSTRAINT "payout_accounts_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "earnings_legs" ADD CONSTRAINT "earnings_legs_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "earnings_legs" ADD CONSTRAINT "earnings_legs_purchase_id_fkey" FOREIGN KEY ("purchase_id") REFERENCES "purchases"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "earnings_legs" ADD CONSTRAINT "earnings_legs_transfer_id_fkey" FOREIGN KEY ("transfer_id") REFERENCES "transfers"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "transfers" ADD CONSTRAINT "transfers_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "reversals" ADD CONSTRAINT "reversals_leg_id_fkey" FOREIGN KEY ("leg_id") REFERENCES "earnings_legs"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "reversals" ADD CONSTRAINT "reversals_transfer_id_fkey" FOREIGN KEY ("transfer_id") REFERENCES "transfers"("id") ON DELETE RESTRICT ON UPDATE CASCADE;


-- a leg is in a transfer exactly while it is in transit or paid by it
ALTER TABLE "earnings_legs" ADD CONSTRAINT "earnings_legs_transfer_check"
  CHECK (("status" IN ('in_transit', 'paid')) = ("transfer_id" IS NOT NULL));

-- the daily transfer job's scan: producers with open legs per currency
CREATE INDEX "earnings_legs_open_idx" ON "earnings_legs" ("user_id", "currency") WHERE "status" = 'open';
