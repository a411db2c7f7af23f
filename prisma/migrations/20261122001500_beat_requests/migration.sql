-- CreateEnum
CREATE TYPE "token_entry_kind" AS ENUM ('grant', 'debit', 'refund', 'reset');

-- CreateEnum
CREATE TYPE "backstage_request_type" AS ENUM ('become-artist', 'verify-artist', 'claim-artist');

-- CreateEnum
CREATE TYPE "backstage_request_status" AS ENUM ('pending', 'approved', 'denied', 'revoked');

-- CreateTable
CREATE TABLE "token_balances" (
    "user_id" TEXT NOT NULL,
    "period" TEXT NOT NULL,
    "balance" INTEGER NOT NULL,
    "allowance" INTEGER NOT NULL,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "token_balances_pkey" PRIMARY KEY ("user_id")
);

-- CreateTable
CREATE TABLE "token_ledger" (
    "id" TEXT NOT NULL,
    "user_id" TEXT NOT NULL,
    "period" TEXT NOT NULL,
    "kind" "token_entry_kind" NOT NULL,
    "amount" INTEGER NOT NULL,
    "request_id" TEXT,
    "note" TEXT,
    "created_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "token_ledger_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "beat_requests" (
    "id" TEXT NOT NULL,
    "owner_id" TEXT NOT NULL,
    "title" TEXT,
    "description" TEXT NOT NULL,
    "reference_track_url" TEXT NOT NULL,
    "genres" TEXT[],
    "bpm_min" INTEGER,
    "bpm_max" INTEGER,
    "musical_key" TEXT,
    "mood" TEXT,
    "duration_hours" INTEGER NOT NULL,
    "token_cost" INTEGER NOT NULL,
    "renewals" INTEGER NOT NULL DEFAULT 0,
    "expires_at" TIMESTAMPTZ(3) NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "beat_requests_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "submissions" (
    "id" TEXT NOT NULL,
    "request_id" TEXT NOT NULL,
    "track_id" TEXT NOT NULL,
    "producer_id" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "submissions_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "backstage_requests" (
    "id" TEXT NOT NULL,
    "user_id" TEXT NOT NULL,
    "type" "backstage_request_type" NOT NULL,
    "status" "backstage_request_status" NOT NULL,
    "first_name" TEXT NOT NULL,
    "last_name" TEXT NOT NULL,
    "beats_link" TEXT,
    "artist_id" TEXT,
    "message" TEXT,
    "decided_by" TEXT,
    "decided_at" TIMESTAMPTZ(3),
    "decision_notes" TEXT,
    "created_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "backstage_requests_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "token_ledger_user_id_created_at_idx" ON "token_ledger"("user_id", "created_at" DESC);

-- CreateIndex
CREATE INDEX "beat_requests_expires_at_idx" ON "beat_requests"("expires_at");

-- CreateIndex
CREATE INDEX "beat_requests_owner_id_created_at_idx" ON "beat_requests"("owner_id", "created_at" DESC);

-- CreateIndex
CREATE INDEX "beat_requests_created_at_id_idx" ON "beat_requests"("created_at" DESC, "id" DESC);

-- CreateIndex
CREATE INDEX "submissions_request_id_producer_id_idx" ON "submissions"("request_id", "producer_id");

-- CreateIndex
CREATE UNIQUE INDEX "submissions_request_id_track_id_key" ON "submissions"("request_id", "track_id");

-- CreateIndex
CREATE INDEX "backstage_requests_user_id_created_at_idx" ON "backstage_requests"("user_id", "created_at" DESC);

-- CreateIndex
CREATE INDEX "backstage_requests_status_created_at_idx" ON "backstage_requests"("status", "created_at" DESC);

-- AddForeignKey
ALTER TABLE "token_balances" ADD CONSTRAINT "token_balances_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "token_ledger" ADD CONSTRAINT "token_ledger_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "beat_requests" ADD CONSTRAINT "beat_requests_owner_id_fkey" FOREIGN KEY ("owner_id") REFERENCES "users"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "submissions" ADD CONSTRAINT "submissions_request_id_fkey" FOREIGN KEY ("request_id") REFERENCES "beat_requests"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "submissions" ADD CONSTRAINT "submissions_track_id_fkey" FOREIGN KEY ("track_id") REFERENCES "tracks"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "submissions" ADD CONSTRAINT "submissions_producer_id_fkey" FOREIGN KEY ("producer_id") REFERENCES "users"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "backstage_requests" ADD CONSTRAINT "backstage_requests_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "backstage_requests" ADD CONSTRAINT "backstage_requests_artist_id_fkey" FOREIGN KEY ("artist_id") REFERENCES "artists"("id") ON DELETE SET NULL ON UPDATE CASCADE;


-- The token rules the database holds: a balance is never negative, entries have a sign that fits
-- their kind.
ALTER TABLE "token_balances" ADD CONSTRAINT "token_balances_non_negative" CHECK ("balance" >= 0 AND "allowance" >= 0);
ALTER TABLE "token_ledger" ADD CONSTRAINT "token_ledger_sign" CHECK (
  ("kind" IN ('grant', 'refund') AND "amount" >= 0) OR ("kind" IN ('debit', 'reset') AND "amount" <= 0)
);
ALTER TABLE "beat_requests" ADD CONSTRAINT "beat_requests_duration" CHECK ("duration_hours" IN (24, 48, 72));
ALTER TABLE "beat_requests" ADD CONSTRAINT "beat_requests_bpm" CHECK ("bpm_min" IS NULL OR "bpm_max" IS NULL OR "bpm_min" <= "bpm_max");

-- At most one pending producer-program request per user, whatever the concurrency.
CREATE UNIQUE INDEX "backstage_requests_one_pending" ON "backstage_requests"("user_id") WHERE "status" = 'pending';
