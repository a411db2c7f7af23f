-- CreateTable
CREATE TABLE "activity_heads" (
    "user_id" TEXT NOT NULL,
    "last_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "activity_heads_pkey" PRIMARY KEY ("user_id")
);


-- Raised by every new track (its creation time, set by the application clock) and every repost.
-- The migration engine splits statements at every semicolon, even inside a function body, so the
-- trigger bodies are E-strings that write it as the octal escape 073.
CREATE FUNCTION raise_activity_head(p_user TEXT, p_at TIMESTAMPTZ) RETURNS void LANGUAGE sql AS $$
  INSERT INTO activity_heads (user_id, last_at) VALUES (p_user, p_at)
  ON CONFLICT (user_id) DO UPDATE SET last_at = EXCLUDED.last_at WHERE activity_heads.last_at < EXCLUDED.last_at
$$;

CREATE FUNCTION tracks_raise_activity_head() RETURNS trigger LANGUAGE plpgsql
  AS E'BEGIN PERFORM raise_activity_head(NEW.owner_id, NEW.created_at)\073 RETURN NULL\073 END';

CREATE FUNCTION reposts_raise_activity_head() RETURNS trigger LANGUAGE plpgsql
  AS E'BEGIN PERFORM raise_activity_head(NEW.user_id, NEW.created_at)\073 RETURN NULL\073 END';

CREATE TRIGGER tracks_activity_head AFTER INSERT OR UPDATE OF owner_id, created_at ON tracks
  FOR EACH ROW EXECUTE FUNCTION tracks_raise_activity_head();

CREATE TRIGGER reposts_activity_head AFTER INSERT ON reposts
  FOR EACH ROW EXECUTE FUNCTION reposts_raise_activity_head();
