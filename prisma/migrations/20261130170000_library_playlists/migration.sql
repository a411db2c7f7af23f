-- CreateEnum
CREATE TYPE "playlist_visibility" AS ENUM ('public', 'private');

-- CreateEnum
CREATE TYPE "playlist_invitation_status" AS ENUM ('pending', 'accepted', 'declined', 'revoked', 'expired');

-- CreateTable
CREATE TABLE "library_items" (
    "user_id" TEXT NOT NULL,
    "track_id" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "library_items_pkey" PRIMARY KEY ("user_id","track_id")
);

-- CreateTable
CREATE TABLE "playlists" (
    "id" TEXT NOT NULL,
    "owner_id" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "description" TEXT,
    "visibility" "playlist_visibility" NOT NULL,
    "version" INTEGER NOT NULL DEFAULT 1,
    "created_at" TIMESTAMPTZ(3) NOT NULL,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "playlists_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "playlist_tracks" (
    "playlist_id" TEXT NOT NULL,
    "track_id" TEXT NOT NULL,
    "position" TEXT COLLATE "C" NOT NULL,
    "added_by" TEXT NOT NULL,
    "added_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "playlist_tracks_pkey" PRIMARY KEY ("playlist_id","track_id")
);

-- CreateTable
CREATE TABLE "playlist_editors" (
    "playlist_id" TEXT NOT NULL,
    "user_id" TEXT NOT NULL,
    "added_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "playlist_editors_pkey" PRIMARY KEY ("playlist_id","user_id")
);

-- CreateTable
CREATE TABLE "playlist_invitations" (
    "id" TEXT NOT NULL,
    "playlist_id" TEXT NOT NULL,
    "invitee_id" TEXT NOT NULL,
    "inviter_id" TEXT NOT NULL,
    "status" "playlist_invitation_status" NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL,
    "expires_at" TIMESTAMPTZ(3) NOT NULL,
    "responded_at" TIMESTAMPTZ(3),

    CONSTRAINT "playlist_invitations_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "playlist_invite_cooldowns" (
    "playlist_id" TEXT NOT NULL,
    "user_id" TEXT NOT NULL,
    "until" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "playlist_invite_cooldowns_pkey" PRIMARY KEY ("playlist_id","user_id")
);

-- CreateIndex
CREATE INDEX "library_items_user_id_created_at_track_id_idx" ON "library_items"("user_id", "created_at" DESC, "track_id" DESC);

-- CreateIndex
CREATE INDEX "library_items_track_id_idx" ON "library_items"("track_id");

-- CreateIndex
CREATE INDEX "playlists_owner_id_created_at_id_idx" ON "playlists"("owner_id", "created_at" DESC, "id" DESC);

-- CreateIndex
CREATE INDEX "playlist_tracks_track_id_idx" ON "playlist_tracks"("track_id");

-- CreateIndex
CREATE UNIQUE INDEX "playlist_tracks_playlist_id_position_key" ON "playlist_tracks"("playlist_id", "position");

-- CreateIndex
CREATE INDEX "playlist_editors_user_id_idx" ON "playlist_editors"("user_id");

-- CreateIndex
CREATE INDEX "playlist_invitations_invitee_id_status_created_at_idx" ON "playlist_invitations"("invitee_id", "status", "created_at" DESC);

-- CreateIndex
CREATE INDEX "playlist_invitations_playlist_id_status_idx" ON "playlist_invitations"("playlist_id", "status");

-- AddForeignKey
ALTER TABLE "library_items" ADD CONSTRAINT "library_items_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "library_items" ADD CONSTRAINT "library_items_track_id_fkey" FOREIGN KEY ("track_id") REFERENCES "tracks"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "playlists" ADD CONSTRAINT "playlists_owner_id_fkey" FOREIGN KEY ("owner_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "playlist_tracks" ADD CONSTRAINT "playlist_tracks_playlist_id_fkey" FOREIGN KEY ("playlist_id") REFERENCES "playlists"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "playlist_tracks" ADD CONSTRAINT "playlist_tracks_track_id_fkey" FOREIGN KEY ("track_id") REFERENCES "tracks"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "playlist_editors" ADD CONSTRAINT "playlist_editors_playlist_id_fkey" FOREIGN KEY ("playlist_id") REFERENCES "playlists"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "playlist_editors" ADD CONSTRAINT "playlist_editors_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "playlist_invitations" ADD CONSTRAINT "playlist_invitations_playlist_id_fkey" FOREIGN KEY ("playlist_id") REFERENCES "playlists"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "playlist_invitations" ADD CONSTRAINT "playlist_invitations_invitee_id_fkey" FOREIGN KEY ("invitee_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "playlist_invitations" ADD CONSTRAINT "playlist_invitations_inviter_id_fkey" FOREIGN KEY ("inviter_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "playlist_invite_cooldowns" ADD CONSTRAINT "playlist_invite_cooldowns_playlist_id_fkey" FOREIGN KEY ("playlist_id") REFERENCES "playlists"("id") ON DELETE CASCADE ON UPDATE CASCADE;


-- Hand-written rules the schema cannot express.
-- Positions are fractional-indexing keys: they compare byte-wise (COLLATE "C" above), never empty.
ALTER TABLE "playlist_tracks" ADD CONSTRAINT "playlist_tracks_position_nonempty" CHECK (length("position") > 0);
-- At most one pending invitation per user and playlist, whatever the concurrency.
CREATE UNIQUE INDEX "playlist_invitations_one_pending" ON "playlist_invitations"("playlist_id", "invitee_id") WHERE "status" = 'pending';
-- An invitation is never addressed to the playlist's inviter.
ALTER TABLE "playlist_invitations" ADD CONSTRAINT "playlist_invitations_not_self" CHECK ("invitee_id" <> "inviter_id");
