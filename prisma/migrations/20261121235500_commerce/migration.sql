-- CreateEnum
CREATE TYPE "license_type" AS ENUM ('basic', 'premium', 'unlimited', 'exclusive');

-- CreateEnum
CREATE TYPE "purchase_status" AS ENUM ('requires_payment', 'succeeded', 'refunding', 'refunded', 'expired');

-- CreateEnum
CREATE TYPE "license_status" AS ENUM ('active', 'revoked');

-- CreateEnum
CREATE TYPE "subscription_status" AS ENUM ('incomplete', 'active', 'past_due', 'canceled');

-- AlterTable
ALTER TABLE "plans" ADD COLUMN     "stripe_price_id" TEXT;

-- AlterTable
ALTER TABLE "tracks" ADD COLUMN     "offers_version" INTEGER NOT NULL DEFAULT 1;

-- AlterTable
ALTER TABLE "users" ADD COLUMN     "stripe_customer_id" TEXT;

-- CreateTable
CREATE TABLE "license_offers" (
    "track_id" TEXT NOT NULL,
    "type" "license_type" NOT NULL,
    "price_cents" INTEGER NOT NULL,
    "currency" TEXT NOT NULL,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "license_offers_pkey" PRIMARY KEY ("track_id","type")
);

-- CreateTable
CREATE TABLE "purchases" (
    "id" TEXT NOT NULL,
    "buyer_id" TEXT NOT NULL,
    "track_id" TEXT NOT NULL,
    "license_type" "license_type" NOT NULL,
    "price_cents" INTEGER NOT NULL,
    "platform_fee_cents" INTEGER NOT NULL,
    "amount_cents" INTEGER NOT NULL,
    "currency" TEXT NOT NULL,
    "status" "purchase_status" NOT NULL,
    "stripe_payment_intent_id" TEXT,
    "client_secret" TEXT,
    "last_error" TEXT,
    "paid_at" TIMESTAMPTZ(3),
    "refunded_at" TIMESTAMPTZ(3),
    "disputed_at" TIMESTAMPTZ(3),
    "expires_at" TIMESTAMPTZ(3) NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "purchases_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "licenses" (
    "id" TEXT NOT NULL,
    "purchase_id" TEXT,
    "holder_id" TEXT NOT NULL,
    "track_id" TEXT NOT NULL,
    "type" "license_type" NOT NULL,
    "status" "license_status" NOT NULL,
    "certificate_number" TEXT NOT NULL,
    "price_cents" INTEGER NOT NULL,
    "currency" TEXT NOT NULL,
    "source" TEXT NOT NULL,
    "issued_at" TIMESTAMPTZ(3) NOT NULL,
    "revoked_at" TIMESTAMPTZ(3),
    "revoked_reason" TEXT,

    CONSTRAINT "licenses_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "stripe_events" (
    "id" TEXT NOT NULL,
    "type" TEXT NOT NULL,
    "received_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "stripe_events_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "subscriptions" (
    "id" TEXT NOT NULL,
    "user_id" TEXT NOT NULL,
    "plan_id" TEXT NOT NULL,
    "stripe_customer_id" TEXT NOT NULL,
    "stripe_subscription_id" TEXT NOT NULL,
    "status" "subscription_status" NOT NULL,
    "current_period_end" TIMESTAMPTZ(3),
    "cancel_at_period_end" BOOLEAN NOT NULL DEFAULT false,
    "last_event_at" TIMESTAMPTZ(3),
    "created_at" TIMESTAMPTZ(3) NOT NULL,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "subscriptions_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "purchases_stripe_payment_intent_id_key" ON "purchases"("stripe_payment_intent_id");

-- CreateIndex
CREATE INDEX "purchases_buyer_id_created_at_idx" ON "purchases"("buyer_id", "created_at" DESC);

-- CreateIndex
CREATE INDEX "purchases_track_id_idx" ON "purchases"("track_id");

-- CreateIndex
CREATE UNIQUE INDEX "licenses_purchase_id_key" ON "licenses"("purchase_id");

-- CreateIndex
CREATE UNIQUE INDEX "licenses_certificate_number_key" ON "licenses"("certificate_number");

-- CreateIndex
CREATE INDEX "licenses_holder_id_issued_at_idx" ON "licenses"("holder_id", "issued_at" DESC);

-- CreateIndex
CREATE INDEX "licenses_track_id_idx" ON "licenses"("track_id");

-- CreateIndex
CREATE UNIQUE INDEX "subscriptions_user_id_key" ON "subscriptions"("user_id");

-- CreateIndex
CREATE UNIQUE INDEX "subscriptions_stripe_subscription_id_key" ON "subscriptions"("stripe_subscription_id");

-- CreateIndex
CREATE UNIQUE INDEX "plans_stripe_price_id_key" ON "plans"("stripe_price_id");

-- CreateIndex
CREATE UNIQUE INDEX "users_stripe_customer_id_key" ON "users"("stripe_customer_id");

-- AddForeignKey
ALTER TABLE "license_offers" ADD CONSTRAINT "license_offers_track_id_fkey" FOREIGN KEY ("track_id") REFERENCES "tracks"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "purchases" ADD CONSTRAINT "purchases_buyer_id_fkey" FOREIGN KEY ("buyer_id") REFERENCES "users"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "purchases" ADD CONSTRAINT "purchases_track_id_fkey" FOREIGN KEY ("track_id") REFERENCES "tracks"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "licenses" ADD CONSTRAINT "licenses_purchase_id_fkey" FOREIGN KEY ("purchase_id") REFERENCES "purchases"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "licenses" ADD CONSTRAINT "licenses_holder_id_fkey" FOREIGN KEY ("holder_id") REFERENCES "users"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "licenses" ADD CONSTRAINT "licenses_track_id_fkey" FOREIGN KEY ("track_id") REFERENCES "tracks"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "subscriptions" ADD CONSTRAINT "subscriptions_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "subscriptions" ADD CONSTRAINT "subscriptions_plan_id_fkey" FOREIGN KEY ("plan_id") REFERENCES "plans"("id") ON DELETE RESTRICT ON UPDATE CASCADE;


-- The sales rules the database holds, whatever the order payments and webhooks arrive in:
-- at most one active exclusive license per track, one active license of a type per holder and track.
CREATE UNIQUE INDEX "licenses_one_active_exclusive" ON "licenses"("track_id") WHERE "type" = 'exclusive' AND "status" = 'active';
CREATE UNIQUE INDEX "licenses_one_active_per_holder" ON "licenses"("holder_id", "track_id", "type") WHERE "status" = 'active';

ALTER TABLE "license_offers" ADD CONSTRAINT "license_offers_price" CHECK ("price_cents" BETWEEN 100 AND 100000000);
ALTER TABLE "license_offers" ADD CONSTRAINT "license_offers_currency" CHECK ("currency" IN ('usd', 'eur', 'gbp', 'cad'));
ALTER TABLE "purchases" ADD CONSTRAINT "purchases_amounts" CHECK ("price_cents" > 0 AND "platform_fee_cents" >= 0 AND "amount_cents" = "price_cents" + "platform_fee_cents");
ALTER TABLE "licenses" ADD CONSTRAINT "licenses_revocation" CHECK (("status" = 'revoked') = ("revoked_at" IS NOT NULL));

-- Stripe prices of the paid plans (set the ids of your Stripe account's prices here).
UPDATE "plans" SET "stripe_price_id" = 'price_' || "id" WHERE "id" <> 'explorer';
