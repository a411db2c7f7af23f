// The raw baseline: a minimal Fastify + pg server doing the same SQL as the app's routes, with
// none of the framework (no Nest, no ORM, no guards, no validation). The benchmarks report the
// app's throughput as a ratio of this one's, measured in the same run on the same machine.
import Fastify from 'fastify';
import { createVerifier } from 'fast-jwt';
import pg from 'pg';

const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: 20 });
const verify = createVerifier({ key: process.env.JWT_SECRET, algorithms: ['HS256'] });
const app = Fastify({ logger: false });

app.get('/api/v1/health', async () => {
  await pool.query('SELECT 1 AS ok');
  return { status: 'ok', checks: { db: { ok: true } } };
});

app.get('/api/v1/me', async (req, reply) => {
  const token = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '')?.[1];
  let claims;
  try {
    claims = verify(token);
  } catch {
    return reply.code(401).send({ code: 'unauthenticated' });
  }
  // the app's statements, prepared by name as the app prepares them
  const session = await pool.query({
    name: 'session_principal',
    text: `SELECT u.role, u.status, s.revoked_at FROM auth_sessions s JOIN users u ON u.id = s.user_id
           WHERE s.id = $1 AND s.user_id = $2`,
    values: [claims.sid, claims.sub],
  });
  if (!session.rowCount || session.rows[0].revoked_at)
    return reply.code(401).send({ code: 'unauthenticated' });
  const { rows } = await pool.query({
    name: 'account_profile',
    text: `SELECT u.id, u.email, u.display_name, u.role, u.status, u.email_verified_at, u.plan_id, p.name AS plan_name,
                  COALESCE((SELECT json_agg(json_build_object('permission', up.permission, 'granted', up.granted))
                            FROM user_permissions up WHERE up.user_id = u.id), '[]'::json) AS permissions,
                  u.version, u.created_at
           FROM users u JOIN plans p ON p.id = u.plan_id WHERE u.id = $1`,
    values: [claims.sub],
  });
  const u = rows[0];
  return {
    id: u.id,
    email: u.email,
    display_name: u.display_name,
    role: u.role,
    status: u.status,
    email_verified: u.email_verified_at !== null,
    plan: { id: u.plan_id, name: u.plan_name },
    permissions: u.email_verified_at ? ['backstage_requests.create'] : [],
    version: u.version,
    created_at: u.created_at.toISOString(),
  };
});

await app.listen({ port: Number(process.env.PORT), host: '127.0.0.1' });
