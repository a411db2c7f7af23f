-- Secrets never stay in the replay store: responses stored before the server redacted them (the
-- token of a personal access token, the client_secret of a purchase, any access or refresh token)
-- keep everything but the secret. Their replays are then refused or read again, as the route
-- declares with @Idempotent.
UPDATE idempotency_keys k
SET response_body = (
  SELECT jsonb_object_agg(
    e.key,
    CASE
      WHEN e.key IN ('token', 'client_secret', 'access_token', 'refresh_token')
       AND jsonb_typeof(e.value) = 'string' THEN '"[redacted]"'::jsonb
      ELSE e.value
    END)
  FROM jsonb_each(k.response_body) e
)
WHERE jsonb_typeof(k.response_body) = 'object'
  AND k.response_body ?| ARRAY['token', 'client_secret', 'access_token', 'refresh_token'];
