// The raw baseline of the beat-requests benchmark, in a process of its own like the app: bare
// Fastify handlers sending the app's statements for its two routes (bench/raw-db.mjs for the
// rule), with pg, no Nest, no Prisma, no guards, no validation:
//
// - POST /beat-requests (BeatRequestsService.create): the guard's statements, then the debit,
//   the request and its ledger entry in one prepared statement (beat_request_create_paid).
//   Every requester of the benchmark holds tokens of the month, so the app's other path (a
//   transaction for a balance to be created or renewed) is never taken, here or there.
// - POST /beat-requests/:id/submissions (SubmissionsService.submit): the guard's statements, the
//   context in one prepared statement (submission_context), then submission_try, prepared, in
//   autocommit — through the app's own CallCombiner, as the app batches (SUBMISSION_BATCHING=0:
//   one call per submission, as the app then does); with similar audio on the request, the
//   fingerprint read, then the same call again inside a transaction with the exact comparison
//   and the insert.
import Fastify from 'fastify';
import { answerRefusal, appModule, execute, principal, Refused, sql, transaction } from './raw-db.mjs';

const { similarity } = appModule('modules/audio/fingerprint-matching.js');
const { CallCombiner } = appModule('platform/database/call-combiner.js');
const { newId } = appModule('platform/ids.js');

const { PORT } = process.env;
const BATCHING = !['0', 'false', 'no', 'off'].includes(
  (process.env.SUBMISSION_BATCHING ?? '1').toLowerCase(),
);
/** the app's defaults: LIMIT_SUBMISSIONS_PER_REQUEST, CANDIDATES, LIMIT_DUPLICATE_SIMILARITY, BATCH */
const LIMIT = 5;
const CANDIDATES = 50;
const DUPLICATE = 0.95;
const BATCH = 32;
const COST = { 24: 1, 48: 2, 72: 3 };
const app = Fastify();
app.setErrorHandler(answerRefusal);

app.get('/health', async () => ({ ok: true }));

app.post('/beat-requests', async (req, reply) => {
  const { userId } = await principal(req.headers.authorization);
  const { description, reference_track_url, duration_hours } = req.body;
  const now = new Date();
  const id = newId('req');
  const inserted = await execute(
    `WITH debited AS (
         UPDATE token_balances SET balance = balance - $3, updated_at = $4
         WHERE user_id = $1 AND period = $2 AND balance >= $3
         RETURNING user_id
       ), entry AS (
         INSERT INTO token_ledger (id, user_id, period, kind, amount, request_id, note, created_at)
         SELECT $5, user_id, $2, 'debit', -$3::int, $6, $7, $4 FROM debited
       )
       INSERT INTO beat_requests (id, owner_id, title, description, reference_track_url, genres, bpm_min, bpm_max,
                                  musical_key, mood, duration_hours, token_cost, renewals, expires_at, created_at, updated_at)
       SELECT $6, $1, $8, $9, $10, $11::text[], $12::int, $13::int, $14, $15, $16::int, $3, 0, $17, $4, $4
       FROM debited`,
    [
      userId,
      now.toISOString().slice(0, 7),
      COST[duration_hours],
      now,
      newId('tle'),
      id,
      `${duration_hours} h request`,
      null,
      description,
      reference_track_url,
      [],
      null,
      null,
      null,
      null,
      duration_hours,
      new Date(now.getTime() + duration_hours * 3600_000),
    ],
    'beat_request_create_paid',
  );
  if (inserted !== 1) throw new Refused(429, 'no_tokens_remaining');
  reply.status(201);
  return { id };
});

const TRY = `SELECT request_found AS found, already_submitted AS submitted, producer_count AS mine,
                         inserted, candidates
                  FROM submission_try($1, $2::text[], $3::text[], $4::text[], $5::timestamptz[], $6::int, $7::int)
                  ORDER BY item`;
/** BeatRequestsRepository.trySubmit: one call for a batch of submissions to one request. */
const trySubmit = (run, requestId, batch) =>
  run(
    TRY,
    [
      requestId,
      batch.map((s) => s.trackId),
      batch.map((s) => s.producerId),
      batch.map((s) => s.id),
      batch.map((s) => s.at),
      LIMIT,
      CANDIDATES,
    ],
    'submission_try',
  );
const tries = new CallCombiner((requestId, batch) => trySubmit(sql, requestId, batch), {
  max: BATCH,
  split: (err) => typeof err?.code === 'string' && err.code.startsWith('23'),
});

const refuseOn = (outcome) => {
  if (!outcome.found) throw new Refused(404, 'request_not_found');
  if (outcome.submitted) throw new Refused(409, 'duplicate_submission');
  if (outcome.mine >= LIMIT) throw new Refused(422, 'submission_limit_reached');
};

app.post('/beat-requests/:id/submissions', async (req, reply) => {
  const { userId } = await principal(req.headers.authorization);
  const requestId = req.params.id;
  const trackId = req.body.track_id;
  const now = new Date();
  const [ctx] = await sql(
    `SELECT r.owner_id AS "requestOwnerId", r.expires_at AS "expiresAt",
              t.id AS "trackId", t.owner_id AS "trackOwnerId", t.title, t.source, t.processing_status AS "processingStatus",
              ARRAY(SELECT c.user_id FROM track_collaborators c WHERE c.track_id = t.id) AS collaborators,
              f.track_id IS NOT NULL AS fingerprinted
       FROM (SELECT) AS one
       LEFT JOIN beat_requests r ON r.id = $1
       LEFT JOIN tracks t ON t.id = $2
       LEFT JOIN track_fingerprints f ON f.track_id = t.id`,
    [requestId, trackId],
    'submission_context',
  );
  if (!ctx.requestOwnerId) throw new Refused(404, 'request_not_found');
  if (ctx.expiresAt <= now) throw new Refused(410, 'request_expired');
  if (ctx.requestOwnerId === userId) throw new Refused(403, 'self_submission_blocked');
  if (!ctx.trackId) throw new Refused(404, 'track_not_found');
  if (ctx.trackOwnerId !== userId && !ctx.collaborators.includes(userId))
    throw new Refused(403, 'not_track_owner');
  if (ctx.source !== 'upload') throw new Refused(422, 'track_not_platform_hosted');
  if (ctx.processingStatus !== 'ready' || !ctx.fingerprinted)
    throw new Refused(422, 'fingerprint_not_completed');

  const submission = { id: newId('sbm'), requestId, trackId, producerId: userId, at: now };
  const [first] = BATCHING
    ? [await tries.call(requestId, submission)]
    : await trySubmit(sql, requestId, [submission]);
  refuseOn(first);
  if (!first.inserted) {
    const fingerprint =
      (await sql('SELECT fingerprint FROM track_fingerprints WHERE track_id = $1', [trackId]))[0]
        ?.fingerprint ?? [];
    await transaction(async (tx) => {
      const [outcome] = await trySubmit(tx.query, requestId, [submission]);
      refuseOn(outcome);
      if (outcome.inserted) return;
      if (outcome.candidates.some((c) => similarity(fingerprint, c.fingerprint) >= DUPLICATE))
        throw new Refused(409, 'duplicate_audio_detected');
      await tx.execute(
        'INSERT INTO submissions (id, request_id, track_id, producer_id, created_at) VALUES ($1, $2, $3, $4, $5)',
        [submission.id, requestId, trackId, userId, now],
      );
    });
  }
  reply.status(201);
  return { id: submission.id, title: ctx.title };
});

await app.listen({ port: Number(PORT), host: '127.0.0.1' });
