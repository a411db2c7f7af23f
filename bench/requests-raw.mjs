// The raw baseline of the beat-requests benchmark, in a process of its own like the app: bare
// Fastify handlers running the same SQL transactions as the app (pg, no Nest, no Prisma, no
// guards, no validation) — a request with its token debit under the balance row's lock, and a
// submission with its checks under the request row's lock. Callers are named in the body.
import Fastify from 'fastify';
import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import { db, tx } from './raw-db.mjs';

const require = createRequire(import.meta.url);
const { similarity } = require('../dist/modules/audio/fingerprint-matching.js');

const { PORT } = process.env;
const app = Fastify();
const id = (prefix) => `${prefix}_${randomBytes(13).toString('hex').slice(0, 26)}`;

class Refused extends Error {
  constructor(status, code) {
    super(code);
    this.status = status;
  }
}

app.setErrorHandler((err, _req, reply) => {
  reply.status(err instanceof Refused ? err.status : 500).send({ code: err.message });
});

app.get('/health', async () => ({ ok: true }));

app.post('/beat-requests', async (req, reply) => {
  const { user_id, description, reference_track_url, duration_hours } = req.body;
  const cost = duration_hours / 24;
  const now = new Date();
  const requestId = id('req');
  // the app's common case: debit, request and ledger entry in one statement
  const { rowCount } = await db.query(
    `WITH debited AS (
       UPDATE token_balances SET balance = balance - $3, updated_at = $6
       WHERE user_id = $1 AND period = $2 AND balance >= $3 RETURNING user_id
     ), entry AS (
       INSERT INTO token_ledger (id, user_id, period, kind, amount, request_id, note, created_at)
       SELECT $4, user_id, $2, 'debit', -$3::int, $5, 'request', $6 FROM debited
     )
     INSERT INTO beat_requests (id, owner_id, description, reference_track_url, genres, duration_hours, token_cost, expires_at, created_at, updated_at)
     SELECT $5, $1, $7, $8, '{}', $9, $3, $10, $6, $6 FROM debited`,
    [
      user_id,
      now.toISOString().slice(0, 7),
      cost,
      id('tle'),
      requestId,
      now,
      description,
      reference_track_url,
      duration_hours,
      new Date(now.getTime() + duration_hours * 3600_000),
    ],
  );
  if (!rowCount) throw new Refused(429, 'no_tokens_remaining');
  reply.status(201);
  return { id: requestId };
});

app.post('/submissions', async (req, reply) => {
  const { request_id, track_id, producer_id } = req.body;
  const now = new Date();
  // the checks no other submission changes: read up front, in parallel, without a lock
  const [request, track, fp] = await Promise.all([
    db
      .query('SELECT owner_id, expires_at FROM beat_requests WHERE id = $1', [request_id])
      .then((r) => r.rows[0]),
    db
      .query(
        `SELECT t.owner_id, t.source, t.processing_status, t.title,
                ARRAY(SELECT user_id FROM track_collaborators WHERE track_id = t.id) AS credited
         FROM tracks t WHERE t.id = $1`,
        [track_id],
      )
      .then((r) => r.rows[0]),
    db.query('SELECT 1 FROM track_fingerprints WHERE track_id = $1', [track_id]).then((r) => r.rows[0]),
  ]);
  if (!request) throw new Refused(404, 'request_not_found');
  if (request.expires_at <= now) throw new Refused(410, 'request_expired');
  if (request.owner_id === producer_id) throw new Refused(403, 'self_submission_blocked');
  if (!track) throw new Refused(404, 'track_not_found');
  if (track.owner_id !== producer_id && !track.credited.includes(producer_id))
    throw new Refused(403, 'not_track_owner');
  if (track.source !== 'upload') throw new Refused(422, 'track_not_platform_hosted');
  if (track.processing_status !== 'ready' || !fp) throw new Refused(422, 'fingerprint_not_completed');
  const sid = id('sbm');
  // the app's statement (SubmissionsService.submit): submission_try in autocommit, and with
  // similar audio on the request the same call in a transaction that keeps the lock for the
  // exact comparison and the insert. One call per submission: the app also sends the
  // submissions to one request that arrive while its previous call runs as one batch
  // (CallCombiner), which this baseline does not do
  const attempt = async (c) => {
    const {
      rows: [outcome],
    } = await c.query(
      `SELECT request_found AS found, already_submitted AS submitted, producer_count AS mine, inserted, candidates
       FROM submission_try($1, $2, $3, $4, $5, 5, 50)`,
      [request_id, [track_id], [producer_id], [sid], [now]],
    );
    if (!outcome.found) throw new Refused(404, 'request_not_found');
    if (outcome.submitted) throw new Refused(409, 'duplicate_submission');
    if (outcome.mine >= 5) throw new Refused(422, 'submission_limit_reached');
    return outcome;
  };
  const first = await attempt(db);
  if (!first.inserted) {
    const {
      rows: [own],
    } = await db.query('SELECT fingerprint FROM track_fingerprints WHERE track_id = $1', [track_id]);
    await tx(async (c) => {
      const outcome = await attempt(c);
      if (outcome.inserted) return;
      if (outcome.candidates.some((x) => similarity(own.fingerprint, x.fingerprint) >= 0.95))
        throw new Refused(409, 'duplicate_audio_detected');
      await c.query(
        'INSERT INTO submissions (id, request_id, track_id, producer_id, created_at) VALUES ($1, $2, $3, $4, $5)',
        [sid, request_id, track_id, producer_id, now],
      );
    });
  }
  reply.status(201);
  return { id: sid, title: track.title };
});

await app.listen({ port: Number(PORT), host: '127.0.0.1' });
