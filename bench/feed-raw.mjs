// The raw baseline of the feed benchmark, in a process of its own like the app: bare Fastify
// running the app's own feed statement (dist/modules/social/feed.sql.js) with pg, the same
// widening loop and the same JSON — no Nest, no guards, no validation. The reader is named in
// the query string.
import Fastify from 'fastify';
import { createRequire } from 'node:module';
import { db } from './raw-db.mjs';

const require = createRequire(import.meta.url);
const { FEED_SQL } = require('../dist/modules/social/feed.sql.js');
const app = Fastify();

app.get('/health', async () => ({ ok: true }));

app.get('/feed', async (req) => {
  const userId = req.query.user_id;
  const limit = Number(req.query.limit ?? 20);
  const asOf = new Date();
  let k = 2 * (limit + 1);
  let following;
  let rows;
  for (;;) {
    rows = (
      await db.query({ name: 'feed', text: FEED_SQL, values: [userId, asOf, 'infinity', '', k, limit + 1] })
    ).rows;
    if (rows.length > limit) break;
    following ??=
      (
        await db.query({
          name: 'following',
          text: 'SELECT following FROM follow_counts WHERE user_id = $1',
          values: [userId],
        })
      ).rows[0]?.following ?? 0;
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
