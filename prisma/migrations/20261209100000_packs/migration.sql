-- Packs (src/modules/packs): folders of beats of a producer, private links to them (slug, hashed
-- access code, expiry, downloads with a cap) and what the visitors of a link did (per day and
-- track, visitors as salted hashes), split sheets (src/modules/split-sheets) and the copy each
-- license freezes when it is issued. Independent of the earnings migration before it.

CREATE TABLE "packs" (
    "id" TEXT NOT NULL,
    "owner_id" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "description" TEXT,
    "created_at" TIMESTAMPTZ(3) NOT NULL,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "packs_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "pack_tracks" (
    "pack_id" TEXT NOT NULL,
    "track_id" TEXT NOT NULL,
    "position" INTEGER NOT NULL,

    CONSTRAINT "pack_tracks_pkey" PRIMARY KEY ("pack_id","track_id")
);

-- CreateTable
CREATE TABLE "pack_links" (
    "id" TEXT NOT NULL,
    "pack_id" TEXT NOT NULL,
    "slug" TEXT NOT NULL,
    "label" TEXT NOT NULL,
    "access_code_hash" TEXT,
    "expires_at" TIMESTAMPTZ(3),
    "downloads" TEXT NOT NULL,
    "max_downloads" INTEGER,
    "downloads_used" INTEGER NOT NULL DEFAULT 0,
    "revoked_at" TIMESTAMPTZ(3),
    "created_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "pack_links_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "pack_link_stats" (
    "link_id" TEXT NOT NULL,
    "day" DATE NOT NULL,
    "track_id" TEXT NOT NULL,
    "views" INTEGER NOT NULL DEFAULT 0,
    "plays" INTEGER NOT NULL DEFAULT 0,
    "downloads" INTEGER NOT NULL DEFAULT 0,

    CONSTRAINT "pack_link_stats_pkey" PRIMARY KEY ("link_id","day","track_id")
);

-- CreateTable
CREATE TABLE "pack_link_visitors" (
    "link_id" TEXT NOT NULL,
    "day" DATE NOT NULL,
    "track_id" TEXT NOT NULL,
    "visitor" TEXT NOT NULL,

    CONSTRAINT "pack_link_visitors_pkey" PRIMARY KEY ("link_id","day","track_id","visitor")
);

-- CreateTable
CREATE TABLE "split_sheets" (
    "track_id" TEXT NOT NULL,
    "version" INTEGER NOT NULL,
    "composition" JSONB NOT NULL,
    "master" JSONB NOT NULL,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "split_sheets_pkey" PRIMARY KEY ("track_id")
);

-- CreateTable
CREATE TABLE "license_split_sheets" (
    "license_id" TEXT NOT NULL,
    "version" INTEGER NOT NULL,
    "composition" JSONB NOT NULL,
    "master" JSONB NOT NULL,
    "frozen_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "license_split_sheets_pkey" PRIMARY KEY ("license_id")
);

-- CreateIndex
CREATE INDEX "packs_owner_id_created_at_id_idx" ON "packs"("owner_id", "created_at" DESC, "id" DESC);

-- CreateIndex
CREATE UNIQUE INDEX "packs_owner_id_name_key" ON "packs"("owner_id", "name");

-- CreateIndex
CREATE INDEX "pack_tracks_track_id_idx" ON "pack_tracks"("track_id");

-- CreateIndex
CREATE UNIQUE INDEX "pack_tracks_pack_id_position_key" ON "pack_tracks"("pack_id", "position");

-- CreateIndex
CREATE UNIQUE INDEX "pack_links_slug_key" ON "pack_links"("slug");

-- CreateIndex
CREATE INDEX "pack_links_pack_id_created_at_idx" ON "pack_links"("pack_id", "created_at" DESC);

-- AddForeignKey
ALTER TABLE "packs" ADD CONSTRAINT "packs_owner_id_fkey" FOREIGN KEY ("owner_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "pack_tracks" ADD CONSTRAINT "pack_tracks_pack_id_fkey" FOREIGN KEY ("pack_id") REFERENCES "packs"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "pack_tracks" ADD CONSTRAINT "pack_tracks_track_id_fkey" FOREIGN KEY ("track_id") REFERENCES "tracks"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "pack_links" ADD CONSTRAINT "pack_links_pack_id_fkey" FOREIGN KEY ("pack_id") REFERENCES "packs"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "pack_link_stats" ADD CONSTRAINT "pack_link_stats_link_id_fkey" FOREIGN KEY ("link_id") REFERENCES "pack_links"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "pack_link_visitors" ADD CONSTRAINT "pack_link_visitors_link_id_fkey" FOREIGN KEY ("link_id") REFERENCES "pack_links"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "split_sheets" ADD CONSTRAINT "split_sheets_track_id_fkey" FOREIGN KEY ("track_id") REFERENCES "tracks"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "license_split_sheets" ADD CONSTRAINT "license_split_sheets_license_id_fkey" FOREIGN KEY ("license_id") REFERENCES "licenses"("id") ON DELETE CASCADE ON UPDATE CASCADE;


-- Rules the database holds
ALTER TABLE "pack_links" ADD CONSTRAINT "pack_links_downloads_check" CHECK ("downloads" IN ('none', 'tagged', 'original'));
ALTER TABLE "pack_links" ADD CONSTRAINT "pack_links_max_downloads_check" CHECK ("max_downloads" IS NULL OR "max_downloads" >= 1);
ALTER TABLE "pack_links" ADD CONSTRAINT "pack_links_downloads_used_check" CHECK ("max_downloads" IS NULL OR "downloads_used" <= "max_downloads");
ALTER TABLE "pack_tracks" ADD CONSTRAINT "pack_tracks_position_check" CHECK ("position" >= 0);
ALTER TABLE "split_sheets" ADD CONSTRAINT "split_sheets_version_check" CHECK ("version" >= 1);
