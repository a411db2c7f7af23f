-- Submissions in insertion order: every insert into a request's submissions holds the request's
-- row lock (submission_try below, or the transaction that follows it), so per request seq is also
-- commit order, and "submitted after what a snapshot saw" is an index range.
-- AlterTable
ALTER TABLE "submissions" ADD COLUMN     "seq" BIGSERIAL NOT NULL;

-- CreateIndex
CREATE INDEX "submissions_request_id_seq_idx" ON "submissions"("request_id", "seq");

-- The race-sensitive checks of submissions to one request and their inserts, in one call
-- (SubmissionsService.submit, beat-requests module). It takes a batch: the submissions one instance
-- received for the request while its previous call was running (often one), checked and inserted
-- in their order under one lock and one commit, so a popular request pays the lock's turn-around
-- and the commit's WAL flush once per batch instead of once per submission.
--
-- Before taking the row lock of the request it searches the submissions visible then for
-- fingerprint candidates of each track (by the index keys stored with the track, the keys every
-- other track is found by): that search grows with the request. Under the lock (each statement of
-- a VOLATILE function takes a fresh snapshot, so it sees every submission committed before the
-- lock was ours, and the batch's own earlier inserts) it probes, per item, whether the track is on
-- the request already and how many the producer has on it, compares again only the early
-- candidates still there and what was submitted since (earlier items of the batch included), and
-- inserts the submission when there is no candidate.
--
-- Called in autocommit, the lock is held only while PostgreSQL runs the locked part and commits:
-- no client round trip and no scan of the whole request inside the critical section. When an item
-- has candidates it is not inserted, and the caller calls again for it alone inside a transaction
-- (the lock then stays until COMMIT), compares the candidates exactly and inserts.
--
-- The candidate rule is candidateRule of fingerprint.repository.ts applied to v_keys, word for word
-- (test/beat-requests/submissions.e2e-spec.ts checks that they agree). The migration engine splits
-- statements at every semicolon, even inside a function body, so the body is an E-string that
-- writes it as the octal escape 073 (as in 20261130190100_feed_activity_heads).
CREATE FUNCTION submission_try(
  p_request text,
  p_tracks text[],
  p_producers text[],
  p_ids text[],
  p_ats timestamptz[],
  p_limit int,
  p_candidates int
) RETURNS TABLE (item int, request_found boolean, already_submitted boolean, producer_count int, inserted boolean, candidates json)
LANGUAGE plpgsql VOLATILE AS E'
DECLARE
  v_keys int4[]\073
  v_seen bigint\073
  v_early text[] := ''{}''\073
  v_recheck text[]\073
BEGIN
  -- Before the lock, the bulk of the search: among the submissions visible now, the newest one
  -- and which are candidates of any item. Its cost grows with the request, so it must not hold
  -- the lock.
  SELECT max(s.seq) INTO v_seen FROM submissions s WHERE s.request_id = p_request\073
  IF v_seen IS NOT NULL THEN
    FOR i IN 1 .. cardinality(p_tracks) LOOP
      SELECT f.hashes INTO v_keys FROM track_fingerprints f WHERE f.track_id = p_tracks[i]\073
      v_early := v_early || ARRAY(
        SELECT f.track_id
        FROM track_fingerprints f
        WHERE f.track_id IN (SELECT s.track_id FROM submissions s WHERE s.request_id = p_request)
          AND f.track_id <> p_tracks[i]
          AND f.hashes && (SELECT v_keys::int4[]) AND icount(f.hashes & v_keys::int4[]) >= 2
        ORDER BY icount(f.hashes & v_keys::int4[]) DESC, f.track_id
        LIMIT p_candidates
      )\073
    END LOOP\073
  END IF\073

  PERFORM 1 FROM beat_requests r WHERE r.id = p_request FOR UPDATE\073
  request_found := FOUND\073
  FOR i IN 1 .. cardinality(p_tracks) LOOP
    item := i\073
    already_submitted := false\073
    producer_count := 0\073
    inserted := false\073
    candidates := ''[]''::json\073
    IF NOT request_found THEN
      RETURN NEXT\073
      CONTINUE\073
    END IF\073

    -- Under the lock, each statement sees every submission committed before the lock was ours
    -- and the batch''s earlier inserts, and each is an index probe whatever the size of the
    -- request. One statement for the three: the track already on the request, the producer''s
    -- count, and the tracks to compare again (the candidates found before the lock that are still
    -- submitted, and whatever was submitted since v_seen: every insert holds the lock, so seq
    -- follows commit order per request), which gives the same answer as a search of the whole
    -- request under the lock.
    SELECT
      EXISTS (SELECT 1 FROM submissions s WHERE s.request_id = p_request AND s.track_id = p_tracks[i]),
      (SELECT count(*)::int FROM submissions s WHERE s.request_id = p_request AND s.producer_id = p_producers[i]),
      ARRAY(
        SELECT s.track_id FROM submissions s WHERE s.request_id = p_request AND s.seq > COALESCE(v_seen, 0)
        UNION
        SELECT s.track_id FROM submissions s WHERE s.request_id = p_request AND s.track_id = ANY (v_early)
      )
      INTO already_submitted, producer_count, v_recheck\073
    IF already_submitted OR producer_count >= p_limit THEN
      RETURN NEXT\073
      CONTINUE\073
    END IF\073

    IF cardinality(v_recheck) > 0 THEN
      SELECT f.hashes INTO v_keys FROM track_fingerprints f WHERE f.track_id = p_tracks[i]\073
      SELECT COALESCE(json_agg(c), ''[]''::json) INTO candidates
      FROM (
        SELECT f.track_id AS "trackId", f.fingerprint
        FROM track_fingerprints f
        WHERE f.track_id = ANY (v_recheck)
          AND f.track_id <> p_tracks[i]
          AND f.hashes && (SELECT v_keys::int4[]) AND icount(f.hashes & v_keys::int4[]) >= 2
        ORDER BY icount(f.hashes & v_keys::int4[]) DESC, f.track_id
        LIMIT p_candidates
      ) c\073
    END IF\073
    IF json_array_length(candidates) = 0 THEN
      INSERT INTO submissions (id, request_id, track_id, producer_id, created_at)
      VALUES (p_ids[i], p_request, p_tracks[i], p_producers[i], p_ats[i])\073
      inserted := true\073
    END IF\073
    RETURN NEXT\073
  END LOOP\073
END
';
