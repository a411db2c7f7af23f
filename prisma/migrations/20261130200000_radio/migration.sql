-- CreateTable
CREATE TABLE "radio_sessions" (
    "id" TEXT NOT NULL,
    "user_id" TEXT NOT NULL,
    "device_id" TEXT NOT NULL,
    "station_id" TEXT NOT NULL,
    "rule" JSONB NOT NULL,
    "current_track_id" TEXT,
    "current_started_at" TIMESTAMPTZ(3) NOT NULL,
    "next_track_id" TEXT,
    "last_heartbeat_at" TIMESTAMPTZ(3) NOT NULL,
    "ended_at" TIMESTAMPTZ(3),
    "created_at" TIMESTAMPTZ(3) NOT NULL,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "radio_sessions_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "listens" (
    "id" TEXT NOT NULL,
    "user_id" TEXT NOT NULL,
    "track_id" TEXT NOT NULL,
    "session_id" TEXT,
    "created_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "listens_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "track_play_counts" (
    "track_id" TEXT NOT NULL,
    "plays" BIGINT NOT NULL,

    CONSTRAINT "track_play_counts_pkey" PRIMARY KEY ("track_id")
);

-- CreateTable
CREATE TABLE "radio_skips" (
    "id" TEXT NOT NULL,
    "user_id" TEXT NOT NULL,
    "session_id" TEXT NOT NULL,
    "track_id" TEXT,
    "created_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "radio_skips_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "radio_sessions_user_id_created_at_idx" ON "radio_sessions"("user_id", "created_at" DESC);

-- CreateIndex
CREATE INDEX "listens_user_id_created_at_id_idx" ON "listens"("user_id", "created_at" DESC, "id" DESC);

-- CreateIndex
CREATE INDEX "listens_session_id_created_at_idx" ON "listens"("session_id", "created_at" DESC);

-- CreateIndex
CREATE INDEX "radio_skips_user_id_created_at_idx" ON "radio_skips"("user_id", "created_at" DESC);

-- AddForeignKey
ALTER TABLE "radio_sessions" ADD CONSTRAINT "radio_sessions_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "radio_sessions" ADD CONSTRAINT "radio_sessions_current_track_id_fkey" FOREIGN KEY ("current_track_id") REFERENCES "tracks"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "radio_sessions" ADD CONSTRAINT "radio_sessions_next_track_id_fkey" FOREIGN KEY ("next_track_id") REFERENCES "tracks"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "listens" ADD CONSTRAINT "listens_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "listens" ADD CONSTRAINT "listens_track_id_fkey" FOREIGN KEY ("track_id") REFERENCES "tracks"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "listens" ADD CONSTRAINT "listens_session_id_fkey" FOREIGN KEY ("session_id") REFERENCES "radio_sessions"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "track_play_counts" ADD CONSTRAINT "track_play_counts_track_id_fkey" FOREIGN KEY ("track_id") REFERENCES "tracks"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "radio_skips" ADD CONSTRAINT "radio_skips_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "radio_skips" ADD CONSTRAINT "radio_skips_session_id_fkey" FOREIGN KEY ("session_id") REFERENCES "radio_sessions"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- Hand-written: rules Prisma cannot express.

-- One open radio session per user (the live-by-heartbeat rule is decided under the user's
-- advisory lock, this index is the backstop that no race can pass)
CREATE UNIQUE INDEX "radio_sessions_one_open_per_user" ON "radio_sessions"("user_id") WHERE "ended_at" IS NULL;

CREATE INDEX "radio_sessions_open_idx" ON "radio_sessions"("id") WHERE "ended_at" IS NULL;

ALTER TABLE "track_play_counts" ADD CONSTRAINT "track_play_counts_plays_check" CHECK ("plays" >= 0);

-- A musical key as a Camelot code 0-23, (number - 1) * 2 + (major ? 1 : 0), or null. The SQL twin
-- of keyCode in src/modules/radio/seed-rules.ts (note names with #/b/sharp/flat signs and
-- m/min/minor/maj/major, or Camelot codes like 8A).
CREATE FUNCTION radio_key_code(k text) RETURNS smallint
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
  SELECT CASE
    WHEN cam IS NOT NULL THEN ((cam[1]::int - 1) * 2 + CASE WHEN cam[2] = 'b' THEN 1 ELSE 0 END)::smallint
    WHEN note IS NOT NULL THEN ((((7 * ((strpos('cxdxefxgxaxb', note[1]) - 1
        + CASE WHEN note[2] IN ('#', '♯') THEN 1 WHEN note[2] IN ('b', '♭') THEN 11 ELSE 0 END) % 12))
        + CASE WHEN note[3] IN ('m', 'min', 'minor') THEN 4 ELSE 7 END) % 12) * 2
        + CASE WHEN note[3] IN ('m', 'min', 'minor') THEN 0 ELSE 1 END)::smallint
  END
  FROM (SELECT regexp_match(lower(btrim(k)), '^(1[0-2]|[1-9])\s*([ab])$') AS cam,
               regexp_match(lower(btrim(k)), '^([a-g])([#♯b♭]?)\s*(m|min|minor|maj|major)?$') AS note) s
$$;

-- The radio draws a random track of a station by walking these indexes from a random point of
-- hashtext(id) (uniform over ids): cost independent of the catalogue's size. Only playable tracks
-- (ready uploads) are in them.
CREATE INDEX "tracks_radio_genre_idx" ON "tracks"("genre", hashtext("id"))
  WHERE "source" = 'upload' AND "processing_status" = 'ready';
CREATE INDEX "tracks_radio_genre_key_idx" ON "tracks"("genre", radio_key_code("musical_key"), hashtext("id"))
  WHERE "source" = 'upload' AND "processing_status" = 'ready';
CREATE INDEX "tracks_radio_artist_idx" ON "tracks"("artist_id", hashtext("id"))
  WHERE "source" = 'upload' AND "processing_status" = 'ready';
