-- Object storage claims (S3 or the local directory): an upload pins the bytes it is writing and a
-- deletion claims the object it is removing, both under the file's advisory lock, never across
-- the network call itself.
CREATE TABLE "storage_writes" (
    "id" TEXT NOT NULL,
    "sha256" TEXT NOT NULL,
    "expires_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "storage_writes_pkey" PRIMARY KEY ("id")
);

CREATE INDEX "storage_writes_sha256_idx" ON "storage_writes"("sha256");

CREATE TABLE "storage_deletions" (
    "sha256" TEXT NOT NULL,
    "claimed_until" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "storage_deletions_pkey" PRIMARY KEY ("sha256")
);
