// The raw baseline of the radio benchmark, in a process of its own like the app: bare Fastify
// running the same statements as the app's `POST /radio/sessions/:id/next` (imported from the
// built repository, so they cannot drift): the token checked as the app's guard does, the open
// session with its last 20 plays, one draw, the conditional move with the play recorded, the two
// track summaries. No Nest, no Prisma, no guards, no validation.
import Fastify from 'fastify';
import { createVerifier } from 'fast-jwt';
import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import { db } from './raw-db.mjs';

const require = createRequire(import.meta.url);
const {
  FIND_OPEN_SQL,
  SUMMARIES_SQL,
  ADVANCE_SQL,
  drawStatement,
} = require('../dist/modules/radio/radio.repository.js');

const verify = createVerifier({ key: process.env.JWT_SECRET, algorithms: ['HS256'] });
const app = Fastify();
const id = (prefix) => `${prefix}_${randomBytes(13).toString('hex').slice(0, 26)}`;
const randomPoint = () => Math.floor(Math.random() * 2 ** 32) - 2 ** 31;

app.get('/health', async () => ({ ok: true }));

app.post('/radio/sessions/:id/next', async (req, reply) => {
  const token = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '')?.[1];
  let claims;
  try {
    claims = verify(token);
  } catch {
    return reply.code(401).send({ code: 'unauthenticated' });
  }
  const auth = await db.query({
    name: 'auth',
    text: `SELECT u.role, u.status, s.revoked_at FROM auth_sessions s JOIN users u ON u.id = s.user_id
           WHERE s.id = $1 AND s.user_id = $2`,
    values: [claims.sid, claims.sub],
  });
  if (!auth.rowCount || auth.rows[0].revoked_at) return reply.code(401).send({ code: 'unauthenticated' });
  const userId = claims.sub;
  for (let attempt = 0; attempt < 5; attempt++) {
    const s = (await db.query({ name: 'find', text: FIND_OPEN_SQL, values: [req.params.id, userId] }))
      .rows[0];
    if (!s) return reply.code(404).send({ code: 'radio_session_not_found' });
    const draw = async (exclude) => {
      const q = drawStatement(s.rule, userId, randomPoint(), exclude);
      return (await db.query(q)).rows[0]?.id ?? null;
    };
    const current = s.nextTrackId ?? (await draw([s.currentTrackId, ...s.recent].filter(Boolean)));
    const next = await draw([current, ...s.recent]);
    const now = new Date();
    const moved = await db.query({
      name: 'advance',
      text: ADVANCE_SQL,
      values: [s.id, userId, current, next, now, s.currentTrackId, s.nextTrackId, id('lsn')],
    });
    if (moved.rows[0].advanced !== 1) continue;
    const tracks = (await db.query({ name: 'summaries', text: SUMMARIES_SQL, values: [[current, next]] }))
      .rows;
    return {
      session_id: s.id,
      track: tracks.find((t) => t.id === current) ?? null,
      next_track: tracks.find((t) => t.id === next) ?? null,
      track_started_at: now.toISOString(),
    };
  }
  return reply.code(409).send({ code: 'busy' });
});

await app.listen({ port: Number(process.env.PORT), host: '127.0.0.1' });
