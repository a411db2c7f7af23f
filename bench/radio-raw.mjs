// The raw baseline of the radio benchmark, in a process of its own like the app: bare Fastify
// sending the same statements as the app's `POST /radio/sessions/:id/next` (RadioService.next),
// imported from the built repository so they cannot drift: the guard's (the access token's
// session, the maintenance switch), the open session with its last 20 plays, the draws (and the
// fallback pool when a draw finds nothing), the conditional move with the play recorded, the
// summaries of the tracks it answers — on the pool, by the app's statement names, retried as the
// app retries. No Nest, no Prisma, no guards, no validation.
import Fastify from 'fastify';
import { randomBytes } from 'node:crypto';
import { answerRefusal, appModule, principal, Refused, sql } from './raw-db.mjs';

const { FIND_OPEN_SQL, SUMMARIES_SQL, ADVANCE_SQL, drawStatement, RadioRepository } = appModule(
  'modules/radio/radio.repository.js',
);

/** RadioService's: attempts at moving a session on that other requests keep moving first */
const ADVANCE_ATTEMPTS = 5;
// the fallback pool's statement is built from the station's rule inside the repository: its own
// method, on this process's pool (it only calls `sql`)
const fallback = new RadioRepository({ sql });
const app = Fastify();
app.setErrorHandler(answerRefusal);
const id = (prefix) => `${prefix}_${randomBytes(13).toString('hex').slice(0, 26)}`;
const randomPoint = () => Math.floor(Math.random() * 2 ** 32) - 2 ** 31;

/** RadioService.openSession: the open session by id, then radioSessionAccess (its listener only). */
const findOpen = async (sessionId, userId) => {
  const [s] = await sql(FIND_OPEN_SQL, [sessionId], 'radio_find_open');
  if (!s || s.userId !== userId) throw new Refused(404, 'radio_session_not_found');
  return s;
};

/** RadioService.pick: a draw, else the track of the fallback pool played longest ago. */
async function pick(rule, listener, recent, avoid) {
  const q = drawStatement(rule, listener, randomPoint(), [...avoid, ...recent]);
  const [drawn] = await sql(q.text, q.values, q.name);
  if (drawn) return drawn.id;
  const pool = await fallback.fallbackPool(rule, listener);
  if (!pool.length) return null;
  const age = (t) => (avoid.includes(t) ? -1 : recent.indexOf(t) < 0 ? Infinity : recent.indexOf(t));
  const best = Math.max(...pool.map(age));
  const candidates = pool.filter((t) => age(t) === best);
  return candidates[Math.floor(Math.random() * candidates.length)];
}

/** RadioService.advance: null when another request moved the session first. */
async function advance(s) {
  const current =
    s.nextTrackId ?? (await pick(s.rule, s.userId, s.recent, s.currentTrackId ? [s.currentTrackId] : []));
  const next = current ? await pick(s.rule, s.userId, s.recent, [current]) : null;
  const at = new Date();
  try {
    const [row] = await sql(
      ADVANCE_SQL,
      [s.id, s.userId, current, next, at, s.currentTrackId, s.nextTrackId, id('lsn'), s.currentStartedAt],
      'radio_advance',
    );
    if (row?.advanced !== 1) return null;
  } catch (err) {
    if (err.code === '23503') return null;
    throw err;
  }
  return { ...s, currentTrackId: current, nextTrackId: next, currentStartedAt: at };
}

/** RadioService.view: the summaries of the tracks it answers, when there are any. */
async function view(s) {
  const ids = [s.currentTrackId, s.nextTrackId].filter(Boolean);
  const tracks = ids.length ? await sql(SUMMARIES_SQL, [ids], 'radio_summaries') : [];
  return {
    session_id: s.id,
    track: tracks.find((t) => t.id === s.currentTrackId) ?? null,
    next_track: tracks.find((t) => t.id === s.nextTrackId) ?? null,
    track_started_at: s.currentStartedAt.toISOString(),
  };
}

app.get('/health', async () => ({ ok: true }));

app.post('/radio/sessions/:id/next', async (req) => {
  const { userId } = await principal(req.headers.authorization);
  for (let attempt = 0; ; attempt++) {
    const s = await findOpen(req.params.id, userId);
    const moved = await advance(s);
    if (moved) return view(moved);
    if (attempt >= ADVANCE_ATTEMPTS) return view(await findOpen(req.params.id, userId));
  }
});

await app.listen({ port: Number(process.env.PORT), host: '127.0.0.1' });
