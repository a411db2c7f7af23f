-- processing_error holds a documented code, never a raw cause (decoder or exception messages can
-- name files, paths or hosts). Rows written before keep their meaning, not their text.
UPDATE "tracks" SET "processing_error" = CASE
    WHEN "processing_error" LIKE 'corrupt%' THEN 'corrupt_audio'
    WHEN "processing_error" LIKE 'unsupported%' THEN 'unsupported_audio'
    ELSE 'internal_error'
  END
WHERE "processing_error" IS NOT NULL
  AND "processing_error" NOT IN ('corrupt_audio', 'unsupported_audio', 'internal_error');
