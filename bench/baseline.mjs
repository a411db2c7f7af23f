// The raw baseline of `foundation` and `memory`: a minimal Fastify + pg server sending the same
// statements as the app's routes (bench/raw-db.mjs), with none of the framework (no Nest, no ORM,
// no guards, no validation). The benchmarks report the app's throughput as a ratio of this one's,
// measured in the same run on the same machine.
import Fastify from 'fastify';
import { answerRefusal, principal, sql } from './raw-db.mjs';

const app = Fastify({ logger: false });
app.setErrorHandler(answerRefusal);

app.get('/api/v1/health', async () => {
  await sql('SELECT 1 AS ok');
  return { status: 'ok', checks: { db: { ok: true } } };
});

app.get('/api/v1/me', async (req) => {
  // the app's statements, prepared by name as the app prepares them: the guard's (session,
  // maintenance switch), then the profile
  const { userId } = await principal(req.headers.authorization);
  const rows = await sql(
    `SELECT u.id, u.email, u.display_name, u.role, u.status, u.email_verified_at, u.plan_id, p.name AS plan_name,
              COALESCE((SELECT json_agg(json_build_object('permission', up.permission, 'granted', up.granted))
                        FROM user_permissions up WHERE up.user_id = u.id), '[]'::json) AS permissions,
              u.version, u.created_at
       FROM users u JOIN plans p ON p.id = u.plan_id WHERE u.id = $1`,
    [userId],
    'account_profile',
  );
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
