-- Listening (src/modules/listening): stream renditions, waveform peaks, loudness, voice tags,
-- plays that count, and one live stream per user across radio and on-demand playback.

-- Loudness of a track (ITU-R BS.1770 integrated, true peak), null until measured
ALTER TABLE "tracks" ADD COLUMN "loudness_lufs" REAL;
ALTER TABLE "tracks" ADD COLUMN "true_peak_dbtp" REAL;

-- A track's stream renditions: `clean` for everyone who may hear it, `tagged` (the producer's
-- voice tag mixed in) for listeners when the producer has a tag. Objects are content-addressed in
-- the audio storage, like the originals.
CREATE TABLE "track_renditions" (
    "track_id" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "sha256" TEXT NOT NULL,
    "size_bytes" BIGINT NOT NULL,
    "content_type" TEXT NOT NULL,
    "duration_ms" INTEGER NOT NULL,
    "voice_tag_sha256" TEXT,
    "created_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "track_renditions_pkey" PRIMARY KEY ("track_id", "kind"),
    CONSTRAINT "track_renditions_kind_check" CHECK ("kind" IN ('clean', 'tagged'))
);
CREATE INDEX "track_renditions_sha256_idx" ON "track_renditions"("sha256");
ALTER TABLE "track_renditions" ADD CONSTRAINT "track_renditions_track_id_fkey" FOREIGN KEY ("track_id") REFERENCES "tracks"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- Waveform peaks at the base resolution (audiowaveform v2, 8 bits, one channel): min,max pairs
CREATE TABLE "track_peaks" (
    "track_id" TEXT NOT NULL,
    "sample_rate" INTEGER NOT NULL,
    "samples_per_pixel" INTEGER NOT NULL,
    "data" SMALLINT[] NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "track_peaks_pkey" PRIMARY KEY ("track_id")
);
ALTER TABLE "track_peaks" ADD CONSTRAINT "track_peaks_track_id_fkey" FOREIGN KEY ("track_id") REFERENCES "tracks"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- A producer's voice tag (the object in the audio storage)
CREATE TABLE "voice_tags" (
    "user_id" TEXT NOT NULL,
    "sha256" TEXT NOT NULL,
    "duration_ms" INTEGER NOT NULL,
    "version" INTEGER NOT NULL DEFAULT 1,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "voice_tags_pkey" PRIMARY KEY ("user_id")
);
CREATE INDEX "voice_tags_sha256_idx" ON "voice_tags"("sha256");
ALTER TABLE "voice_tags" ADD CONSTRAINT "voice_tags_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- The user's one live stream (radio or on demand): the device and when it was last heard from
CREATE TABLE "live_streams" (
    "user_id" TEXT NOT NULL,
    "device_id" TEXT NOT NULL,
    "last_seen_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "live_streams_pkey" PRIMARY KEY ("user_id")
);
ALTER TABLE "live_streams" ADD CONSTRAINT "live_streams_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- The last counted play of a track by a listener: a play counts at most once per window
CREATE TABLE "play_windows" (
    "user_id" TEXT NOT NULL,
    "track_id" TEXT NOT NULL,
    "counted_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "play_windows_pkey" PRIMARY KEY ("user_id", "track_id")
);
ALTER TABLE "play_windows" ADD CONSTRAINT "play_windows_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "play_windows" ADD CONSTRAINT "play_windows_track_id_fkey" FOREIGN KEY ("track_id") REFERENCES "tracks"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- What a listen reports: its source, how long it was heard, whether it counted
ALTER TABLE "listens" ADD COLUMN "source" TEXT;
ALTER TABLE "listens" ADD COLUMN "played_seconds" INTEGER;
ALTER TABLE "listens" ADD COLUMN "counted" BOOLEAN;

-- Uploads ready before this change have no rendition yet: they are processed again (the backfill
-- job finds them), and are not playable until then.
UPDATE "tracks" SET "processing_status" = 'pending'
WHERE "source" = 'upload' AND "processing_status" = 'ready';
