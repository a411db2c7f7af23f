-- The fingerprint candidate rule, once (issue 21): which fingerprints are candidates for a probe's
-- index keys, and how they rank. The index lookups of the audio module (FingerprintRepository
-- .candidates: Audio Recon, duplicate detection) and the duplicate check of a submission
-- (submission_try, below) both read their candidates from this function, each choosing where to
-- look and how many to take, best first: ORDER BY shared_keys DESC, track_id.
--
-- A candidate shares at least two index keys with the probe: one shared key is what random items
-- collide on as the catalogue grows (and each such candidate would cost a fingerprint read and an
-- exact comparison), while the same audio shares dozens. The keys go into `&&` through a
-- sub-select on purpose: given the array itself, intarray's selectivity estimate for `&&` is far
-- too high (a quarter of the table for 60 keys) and the planner scans every row, while as an
-- init-plan parameter it takes the GIN index (measured 42 ms -> 1.3 ms at 50 k fingerprints).
-- No semicolon in these comments: the migration engine splits statements at every one.
--
-- A SQL function that PostgreSQL inlines into the statement that calls it (one SELECT, STABLE,
-- not STRICT, no SET): the caller's conditions and order apply to track_fingerprints directly,
-- so each caller keeps the plan it had when it spelled the rule out itself.
CREATE FUNCTION fingerprint_candidates(p_keys int4[])
RETURNS TABLE (track_id text, fingerprint int4[], shared_keys int)
LANGUAGE sql STABLE PARALLEL SAFE AS $$
  SELECT f.track_id, f.fingerprint, icount(f.hashes & p_keys)
  FROM track_fingerprints f
  WHERE f.hashes && (SELECT p_keys) AND icount(f.hashes & p_keys) >= 2
$$;

-- submission_try (20261201010000_submission_try) as it was, its two searches now reading the rule
-- above. The migration engine splits statements at every semicolon, even inside a function body,
-- so the body is an E-string that writes it as the octal escape 073.
CREATE OR REPLACE FUNCTION submission_try(
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
        SELECT m.track_id
        FROM fingerprint_candidates(v_keys) m
        WHERE m.track_id IN (SELECT s.track_id FROM submissions s WHERE s.request_id = p_request)
          AND m.track_id <> p_tracks[i]
        ORDER BY m.shared_keys DESC, m.track_id
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
        SELECT m.track_id AS "trackId", m.fingerprint
        FROM fingerprint_candidates(v_keys) m
        WHERE m.track_id = ANY (v_recheck)
          AND m.track_id <> p_tracks[i]
        ORDER BY m.shared_keys DESC, m.track_id
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
