-- CreateEnum
CREATE TYPE "subscription_request_action" AS ENUM ('create', 'change', 'cancel');

-- CreateEnum
CREATE TYPE "subscription_request_status" AS ENUM ('pending', 'done', 'failed');

-- DropIndex
DROP INDEX "subscriptions_user_id_key";

-- AlterTable
ALTER TABLE "users" ADD COLUMN     "current_subscription_id" TEXT;

-- CreateTable
CREATE TABLE "subscription_requests" (
    "id" TEXT NOT NULL,
    "user_id" TEXT NOT NULL,
    "action" "subscription_request_action" NOT NULL,
    "plan_id" TEXT,
    "payment_method" TEXT,
    "subscription_id" TEXT,
    "status" "subscription_request_status" NOT NULL,
    "error" TEXT,
    "created_at" TIMESTAMPTZ(3) NOT NULL,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "subscription_requests_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "subscription_requests_user_id_created_at_idx" ON "subscription_requests"("user_id", "created_at" DESC);

-- CreateIndex
CREATE INDEX "subscriptions_user_id_idx" ON "subscriptions"("user_id");

-- CreateIndex
CREATE UNIQUE INDEX "users_current_subscription_id_key" ON "users"("current_subscription_id");

-- AddForeignKey
ALTER TABLE "users" ADD CONSTRAINT "users_current_subscription_id_fkey" FOREIGN KEY ("current_subscription_id") REFERENCES "subscriptions"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "subscription_requests" ADD CONSTRAINT "subscription_requests_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "subscription_requests" ADD CONSTRAINT "subscription_requests_subscription_id_fkey" FOREIGN KEY ("subscription_id") REFERENCES "subscriptions"("id") ON DELETE SET NULL ON UPDATE CASCADE;


-- Existing rows (one per user until now) are their users' current subscriptions
UPDATE "users" u SET "current_subscription_id" = s."id" FROM "subscriptions" s WHERE s."user_id" = u."id";

-- At most one request in flight per user: the claim taken before Stripe is called
CREATE UNIQUE INDEX "subscription_requests_one_pending" ON "subscription_requests"("user_id") WHERE "status" = 'pending';

