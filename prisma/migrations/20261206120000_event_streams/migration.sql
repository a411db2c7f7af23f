-- One row per open GET /me/events stream, for the per-user cap over every instance
-- (src/platform/realtime/event-streams.repository.ts)

-- CreateTable
CREATE TABLE "event_streams" (
    "id" TEXT NOT NULL,
    "user_id" TEXT NOT NULL,
    "instance_id" TEXT NOT NULL,
    "seq" BIGSERIAL NOT NULL,
    "expires_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "event_streams_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "event_streams_user_id_seq_idx" ON "event_streams"("user_id", "seq");

-- CreateIndex
CREATE INDEX "event_streams_expires_at_idx" ON "event_streams"("expires_at");
