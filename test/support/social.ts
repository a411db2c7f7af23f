import { request as httpRequest, type IncomingMessage } from 'node:http';
import { Client } from 'pg';
import { newId } from '../../src/platform/ids';
import type { TestApp } from './test-app';
import type { TestUser } from './users';

/** One statement against the test app's database (checking invariants after concurrent requests). */
export async function dbQuery<T = Record<string, unknown>>(
  t: TestApp,
  text: string,
  params: unknown[] = [],
): Promise<T[]> {
  const client = new Client({ connectionString: t.databaseUrl });
  await client.connect();
  try {
    return (await client.query(text, params)).rows as T[];
  } finally {
    await client.end();
  }
}

/**
 * Accounts that only need to exist (follow targets, message recipients), written straight to the
 * database: registering dozens through the API would only test registration again.
 */
export async function insertUsers(t: TestApp, n: number, name = 'Someone'): Promise<string[]> {
  const ids = Array.from({ length: n }, () => newId('usr'));
  const now = new Date();
  await dbQuery(
    t,
    `INSERT INTO users (id, email, password_hash, display_name, email_verified_at, created_at, updated_at)
     SELECT id, id || '@seed.test', 'x', $2, $3, $3, $3 FROM unnest($1::text[]) AS id`,
    [ids, name, now],
  );
  return ids;
}

/** An external-link track (public at once, no processing). */
export async function externalTrack(t: TestApp, owner: TestUser, title = 'Link'): Promise<{ id: string }> {
  const res = await t.http
    .post('/api/v1/tracks')
    .set(owner.auth)
    .send({ title, bpm: 120, genre: 'trap', external_url: `https://soundcloud.com/x/${newId('lnk')}` })
    .expect(201);
  return res.body as { id: string };
}

export interface SseEvent {
  id?: string;
  event?: string;
  data?: string;
}

/** A Server-Sent Events client: `next()` resolves with the next event (in arrival order). */
export class SseClient {
  private buffer = '';
  private readonly queue: SseEvent[] = [];
  private waiting?: (e: SseEvent) => void;
  private response?: IncomingMessage;
  status = 0;
  headers: Record<string, unknown> = {};
  /** resolves once the response is over: the server ended the stream, or the connection dropped */
  closed: Promise<void> = Promise.resolve();

  static async open(t: TestApp, user: Pick<TestUser, 'auth'>, lastEventId?: string): Promise<SseClient> {
    const client = new SseClient();
    await new Promise<void>((resolve, reject) => {
      const req = httpRequest(
        `${t.url}/api/v1/me/events`,
        {
          headers: {
            ...user.auth,
            Accept: 'text/event-stream',
            ...(lastEventId ? { 'Last-Event-ID': lastEventId } : {}),
          },
        },
        (res) => {
          client.response = res;
          client.status = res.statusCode ?? 0;
          client.headers = res.headers;
          client.closed = new Promise((done) => res.once('end', done).once('close', done));
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => client.feed(chunk));
          // the stream is open once the server's first comment arrives
          res.once('data', () => resolve());
          res.on('end', () => resolve());
        },
      );
      req.on('error', reject);
      req.end();
    });
    return client;
  }

  private feed(chunk: string): void {
    this.buffer += chunk;
    let end: number;
    while ((end = this.buffer.indexOf('\n\n')) >= 0) {
      const block = this.buffer.slice(0, end);
      this.buffer = this.buffer.slice(end + 2);
      const event: SseEvent = {};
      for (const line of block.split('\n')) {
        if (line.startsWith(':') || !line.includes(':')) continue;
        const [field, ...rest] = line.split(':');
        const value = rest.join(':').replace(/^ /, '');
        if (field === 'id' || field === 'event' || field === 'data') event[field] = value;
      }
      if (event.event) {
        if (this.waiting) {
          const w = this.waiting;
          this.waiting = undefined;
          w(event);
        } else this.queue.push(event);
      }
    }
  }

  next(): Promise<SseEvent> {
    const e = this.queue.shift();
    if (e) return Promise.resolve(e);
    return new Promise((resolve) => (this.waiting = resolve));
  }

  close(): void {
    this.response?.destroy();
  }
}
