import { readFileSync, writeFileSync } from 'node:fs';
import { Client } from 'pg';

/**
 * A statement as PostgreSQL receives it from node-postgres: how it was sent (a simple query, an
 * unnamed extended-protocol statement, or one prepared by name) and its text, whitespace
 * squashed. `app` is the connection's application name (pg-boss's pool names itself).
 */
export interface SentStatement {
  app: string | null;
  how: string;
  text: string;
}

const squash = (text: string): string => text.replace(/\s+/g, ' ').trim();

type Query = (this: Client, config: unknown, values?: unknown, callback?: unknown) => unknown;

/**
 * Records what every pg Client of this process sends from now until `stop()` — the app under
 * test runs in this process (startTestApp), so these are its statements. A child process records
 * the same way with test/support/pg-recorder.mjs preloaded (`childStatements` reads its file).
 */
export function recordStatements(): { stop(): SentStatement[] } {
  const sent: SentStatement[] = [];
  const proto = Client.prototype as unknown as { query: Query };
  const original = proto.query;
  proto.query = function recorded(this: Client, config: unknown, values?: unknown, callback?: unknown) {
    const c = config as { text?: unknown; name?: unknown; values?: unknown } | string | undefined;
    if (typeof c === 'string' || (c && typeof c.text === 'string')) {
      const text = typeof c === 'string' ? c : (c.text as string);
      const name = typeof c === 'object' && typeof c.name === 'string' ? c.name : undefined;
      const params = typeof c === 'object' && c.values !== undefined ? c.values : values;
      const how = name ? `prepared ${name}` : Array.isArray(params) && params.length ? 'unnamed' : 'simple';
      const app = (this as unknown as { connectionParameters?: { application_name?: string } })
        .connectionParameters?.application_name;
      sent.push({ app: app ?? null, how, text: squash(text) });
    }
    return original.call(this, config, values, callback);
  };
  return {
    stop: () => {
      proto.query = original;
      return sent;
    },
  };
}

/** What a child process with pg-recorder.mjs preloaded sent since `clear` last emptied its file. */
export const childStatements = (file: string): SentStatement[] =>
  readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const s = JSON.parse(line) as SentStatement;
      return { ...s, text: squash(s.text) };
    });

export const clearStatements = (file: string): void => writeFileSync(file, '');
