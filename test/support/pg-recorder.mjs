// Preloaded into a child process (`node --import ./test/support/pg-recorder.mjs …`): every
// statement a pg Client sends is appended to PG_RECORD_FILE as one JSON line, as
// test/support/pg-statements.ts records them in the test's own process.
import { appendFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';

const file = process.env.PG_RECORD_FILE;
if (!file) throw new Error('pg-recorder: PG_RECORD_FILE is not set');
const require = createRequire(join(process.cwd(), 'package.json'));
const { Client } = require('pg');
const query = Client.prototype.query;

/** The statement a `query(…)` call sends: its text, its name, and the protocol pg picks for it. */
Client.prototype.query = function recorded(config, values, callback) {
  if (config && (typeof config === 'string' || typeof config.text === 'string')) {
    const text = typeof config === 'string' ? config : config.text;
    const name = typeof config === 'object' ? config.name : undefined;
    const params = typeof config === 'object' && config.values !== undefined ? config.values : values;
    const how = name ? `prepared ${name}` : Array.isArray(params) && params.length ? 'unnamed' : 'simple';
    appendFileSync(
      file,
      `${JSON.stringify({ app: this.connectionParameters?.application_name ?? null, how, text })}\n`,
    );
  }
  return query.call(this, config, values, callback);
};
