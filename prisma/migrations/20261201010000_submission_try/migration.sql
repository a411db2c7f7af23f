-- The race-sensitive checks of a submission and its insert, in one call (SubmissionsService.submit,
-- beat-requests module). It takes the row lock of the request, then, in statements of their own
-- (each statement of a VOLATILE function takes a fresh snapshot, so it sees every submission
-- committed before the lock was ours), reads whether the track is on the request already and how
-- many the producer has on it, then which tracks submitted to the request are fingerprint
-- candidates for this one (by the index keys stored with its fingerprint, the keys every other
-- track is found by), and inserts the submission when there is none of those.
--
-- Called in autocommit, the lock is held only while PostgreSQL runs this and commits: no client
-- round trip inside the critical section, which is what bounds how many submissions a popular
-- request takes a second. When there are candidates nothing is inserted, and the caller calls it again
-- inside a transaction (the lock then stays until COMMIT), compares the candidates exactly and
-- inserts.
--
-- The candidate rule is candidateRule of fingerprint.repository.ts applied to v_keys, word for word
-- (test/beat-requests/submissions.e2e-spec.ts checks that they agree). The migration engine splits
-- statements at every semicolon, even inside a function body, so the body is an E-string that
-- writes it as the octal escape 073 (as in 20261130190100_feed_activity_heads).
CREATE FUNCTION submission_try(
  p_request text,
  p_track text,
  p_producer text,
  p_id text,
  p_at timestamptz,
  p_limit int,
  p_candidates int
) RETURNS TABLE (request_found boolean, already_submitted boolean, producer_count int, inserted boolean, candidates json)
LANGUAGE plpgsql VOLATILE AS E'
DECLARE
  v_keys int4[]\073
BEGIN
  PERFORM 1 FROM beat_requests r WHERE r.id = p_request FOR UPDATE\073
  request_found := FOUND\073
  already_submitted := false\073
  producer_count := 0\073
  inserted := false\073
  candidates := ''[]''::json\073
  IF NOT request_found THEN
    RETURN NEXT\073
    RETURN\073
  END IF\073

  SELECT COALESCE(bool_or(s.track_id = p_track), false), (count(*) FILTER (WHERE s.producer_id = p_producer))::int
    INTO already_submitted, producer_count
    FROM submissions s WHERE s.request_id = p_request\073
  IF already_submitted OR producer_count >= p_limit THEN
    RETURN NEXT\073
    RETURN\073
  END IF\073

  SELECT f.hashes INTO v_keys FROM track_fingerprints f WHERE f.track_id = p_track\073
  SELECT COALESCE(json_agg(c), ''[]''::json) INTO candidates
  FROM (
    SELECT f.track_id AS "trackId", f.fingerprint
    FROM track_fingerprints f
    WHERE f.track_id IN (SELECT s.track_id FROM submissions s WHERE s.request_id = p_request)
      AND f.track_id <> p_track
      AND f.hashes && (SELECT v_keys::int4[]) AND icount(f.hashes & v_keys::int4[]) >= 2
    ORDER BY icount(f.hashes & v_keys::int4[]) DESC, f.track_id
    LIMIT p_candidates
  ) c\073
  IF json_array_length(candidates) = 0 THEN
    INSERT INTO submissions (id, request_id, track_id, producer_id, created_at)
    VALUES (p_id, p_request, p_track, p_producer, p_at)\073
    inserted := true\073
  END IF\073
  RETURN NEXT\073
END
';
