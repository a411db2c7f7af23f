-- The inverted fingerprint index uses intarray's GIN operator class (gin__int_ops).
CREATE EXTENSION IF NOT EXISTS intarray;

-- CreateEnum
CREATE TYPE "track_source" AS ENUM ('upload', 'external');

-- CreateEnum
CREATE TYPE "processing_status" AS ENUM ('pending', 'processing', 'ready', 'failed');

-- CreateTable
CREATE TABLE "artists" (
    "id" TEXT NOT NULL,
    "user_id" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "slug" TEXT NOT NULL,
    "verified" BOOLEAN NOT NULL DEFAULT false,
    "bio" TEXT,
    "version" INTEGER NOT NULL DEFAULT 1,
    "created_at" TIMESTAMPTZ(3) NOT NULL,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "artists_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "audio_files" (
    "sha256" TEXT NOT NULL,
    "size_bytes" BIGINT NOT NULL,
    "format" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "audio_files_pkey" PRIMARY KEY ("sha256")
);

-- CreateTable
CREATE TABLE "tracks" (
    "id" TEXT NOT NULL,
    "owner_id" TEXT NOT NULL,
    "artist_id" TEXT,
    "title" TEXT NOT NULL,
    "bpm" INTEGER NOT NULL,
    "genre" TEXT NOT NULL,
    "musical_key" TEXT,
    "mood" TEXT,
    "tags" TEXT[],
    "source" "track_source" NOT NULL,
    "external_url" TEXT,
    "audio_sha256" TEXT,
    "format" TEXT,
    "duration_ms" INTEGER,
    "sample_rate" INTEGER,
    "channels" INTEGER,
    "processing_status" "processing_status",
    "processing_error" TEXT,
    "processing_attempts" INTEGER NOT NULL DEFAULT 0,
    "version" INTEGER NOT NULL DEFAULT 1,
    "created_at" TIMESTAMPTZ(3) NOT NULL,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "tracks_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "track_collaborators" (
    "track_id" TEXT NOT NULL,
    "user_id" TEXT NOT NULL,
    "role" TEXT NOT NULL,
    "split_percent" DECIMAL(5,2) NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "track_collaborators_pkey" PRIMARY KEY ("track_id","user_id")
);

-- CreateTable
CREATE TABLE "track_fingerprints" (
    "track_id" TEXT NOT NULL,
    "fingerprint" INTEGER[],
    "hashes" INTEGER[],
    "duration_ms" INTEGER NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "track_fingerprints_pkey" PRIMARY KEY ("track_id")
);

-- CreateIndex
CREATE UNIQUE INDEX "artists_user_id_key" ON "artists"("user_id");

-- CreateIndex
CREATE UNIQUE INDEX "artists_slug_key" ON "artists"("slug");

-- CreateIndex
CREATE INDEX "tracks_owner_id_created_at_idx" ON "tracks"("owner_id", "created_at" DESC);

-- CreateIndex
CREATE INDEX "tracks_artist_id_created_at_idx" ON "tracks"("artist_id", "created_at" DESC);

-- CreateIndex
CREATE INDEX "tracks_genre_created_at_idx" ON "tracks"("genre", "created_at" DESC);

-- CreateIndex
CREATE INDEX "tracks_created_at_id_idx" ON "tracks"("created_at" DESC, "id" DESC);

-- CreateIndex
CREATE INDEX "tracks_audio_sha256_idx" ON "tracks"("audio_sha256");

-- CreateIndex
CREATE INDEX "track_collaborators_user_id_idx" ON "track_collaborators"("user_id");

-- CreateIndex
CREATE INDEX "track_fingerprints_hashes_idx" ON "track_fingerprints" USING GIN ("hashes" gin__int_ops);

-- AddForeignKey
ALTER TABLE "artists" ADD CONSTRAINT "artists_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "tracks" ADD CONSTRAINT "tracks_owner_id_fkey" FOREIGN KEY ("owner_id") REFERENCES "users"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "tracks" ADD CONSTRAINT "tracks_artist_id_fkey" FOREIGN KEY ("artist_id") REFERENCES "artists"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "tracks" ADD CONSTRAINT "tracks_audio_sha256_fkey" FOREIGN KEY ("audio_sha256") REFERENCES "audio_files"("sha256") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "track_collaborators" ADD CONSTRAINT "track_collaborators_track_id_fkey" FOREIGN KEY ("track_id") REFERENCES "tracks"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "track_collaborators" ADD CONSTRAINT "track_collaborators_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "track_fingerprints" ADD CONSTRAINT "track_fingerprints_track_id_fkey" FOREIGN KEY ("track_id") REFERENCES "tracks"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- Rules the database holds whatever the code does.
ALTER TABLE "tracks" ADD CONSTRAINT "tracks_bpm_range" CHECK ("bpm" BETWEEN 50 AND 200);
ALTER TABLE "tracks" ADD CONSTRAINT "tracks_source_shape" CHECK (
  ("source" = 'upload' AND "audio_sha256" IS NOT NULL AND "processing_status" IS NOT NULL AND "external_url" IS NULL)
  OR ("source" = 'external' AND "external_url" IS NOT NULL AND "audio_sha256" IS NULL AND "processing_status" IS NULL)
);
ALTER TABLE "track_collaborators" ADD CONSTRAINT "track_collaborators_split_range" CHECK ("split_percent" >= 0 AND "split_percent" <= 100);
ALTER TABLE "artists" ADD CONSTRAINT "artists_slug_format" CHECK ("slug" ~ '^[a-z0-9](?:[a-z0-9-]{0,48}[a-z0-9])?$');

-- Catalogue search (?q=): full-text over title, genre and tags. array_to_string is only STABLE
-- in general (element output functions), but over text[] it is immutable: hence the wrapper.
CREATE FUNCTION track_search_document(title text, genre text, tags text[]) RETURNS tsvector
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  AS $$ SELECT to_tsvector('simple', title || ' ' || genre || ' ' || coalesce(array_to_string(tags, ' '), '')) $$;
CREATE INDEX "tracks_search_idx" ON "tracks" USING GIN (track_search_document("title", "genre", "tags"));
