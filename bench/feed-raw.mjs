// The raw baseline of the feed benchmark, in a process of its own like the app: bare Fastify
// running the app's own feed statement (dist/modules/social/feed.sql.js) with pg, the same
// widening loop and the same JSON — no Nest, no guards, no validation. The reader is the
// caller, found from its access token by the app's statements (bench/raw-db.mjs).
import Fastify from 'fastify';
import { answerRefusal, appModule, principal, sql } from './raw-db.mjs';

const { FEED_SQL } = appModule('modules/social/feed.sql.js');
const app = Fastify();
app.setErrorHandler(answerRefusal);

app.get('/health', async () => ({ ok: true }));

app.get('/feed', async (req) => {
  const { userId } = await principal(req.headers.authorization);
  const limit = Number(req.query.limit ?? 20);
  const asOf = new Date();
  let k = 2 * (limit + 1);
  let following;
  let rows;
  for (;;) {
    rows = await sql(FEED_SQL, [userId, asOf, 'infinity', '', k, limit + 1], 'feed_page');
    if (rows.length > limit) break;
    following ??=
      (
        await sql(`SELECT following FROM follow_counts WHERE user_id = $1`, [userId], 'feed_following_count')
      )[0]?.following ?? 0;
    if (k >= following) break;
    k *= 4;
  }
  const page = rows.slice(0, limit);
  return {
    data: page.map((r) => ({
      track: {
        id: r.id,
        title: r.title,
        owner_id: r.owner_id,
        owner_name: r.owner_name,
        genre: r.genre,
        bpm: r.bpm,
        key: r.musical_key,
        source: r.source,
        external_url: r.external_url,
        duration_ms: r.duration_ms,
        repost_count: r.repost_count,
        created_at: r.created_at.toISOString(),
      },
      activity_at: r.activity_at.toISOString(),
      posted_by_followed: r.posted,
      reposted_by: r.reposted_by,
      reposted_by_count: r.reposter_count,
    })),
    next_cursor: rows.length > limit ? 'x' : null,
  };
});

await app.listen({ port: Number(process.env.PORT), host: '127.0.0.1' });
