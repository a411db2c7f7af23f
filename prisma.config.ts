// Prisma CLI configuration. The CLI runs on the WebAssembly schema engine through the pg driver
// adapter, so no native engine is ever downloaded (see README "Toolchain"). The adapter needs a
// few corrections under the CLI, each commented below.
import { PrismaPg } from '@prisma/adapter-pg';
import pg from 'pg';
import { defineConfig } from 'prisma/config';

// `prisma generate` needs no database, but without a DATABASE_URL the CLI falls back to
// downloading a native query engine (unreachable here). Give it a placeholder; commands that
// really connect still require the variable (see `adapter` below).
const databaseUrl = process.env.DATABASE_URL;
process.env.DATABASE_URL ??= 'postgresql://placeholder.invalid:5432/unset';

// The WebAssembly engine arms 10 s and 60 s timers that keep `migrate dev` alive for a minute
// after it finished; un-ref'ing long timers lets the process exit as soon as the work is done.
const originalSetTimeout = globalThis.setTimeout;
globalThis.setTimeout = ((fn: (...a: unknown[]) => void, ms?: number, ...rest: unknown[]) => {
  const timer = originalSetTimeout(fn, ms, ...rest);
  if ((ms ?? 0) >= 5_000) timer.unref?.();
  return timer;
}) as typeof setTimeout;

// Catalogue columns of type `name` (OID 19) cannot be deserialised by the adapter
// (prisma/orm#27403): report them as `text` (OID 25), which they are byte for byte. Columns of
// type `"char"` (OID 18, e.g. pg_constraint.contype) must reach the engine as single characters,
// or introspecting a CHECK constraint panics; remember them per result (keyed by its rows array,
// which the adapter passes through) and retype them after the adapter built its column types.
const TEXT_OID = 25;
const CHARACTER_COLUMN = 6; // ColumnTypeEnum.Character in @prisma/driver-adapter-utils
const charColumns = new WeakMap<object, number[]>();
function asText(result: unknown): unknown {
  for (const r of Array.isArray(result) ? result : [result]) {
    const res = r as pg.QueryResult | undefined;
    const chars: number[] = [];
    (res?.fields ?? []).forEach((field, i) => {
      if (field.dataTypeID === 18) chars.push(i);
      if (field.dataTypeID === 18 || field.dataTypeID === 19) field.dataTypeID = TEXT_OID;
    });
    if (chars.length && res?.rows) charColumns.set(res.rows, chars);
  }
  return result;
}
function retypeCharColumns<T extends { queryRaw: (q: never) => Promise<unknown> }>(adapter: T): T {
  const queryRaw = adapter.queryRaw.bind(adapter);
  adapter.queryRaw = async (q: never) => {
    const out = (await queryRaw(q)) as { columnTypes: number[]; rows: object };
    for (const i of charColumns.get(out.rows) ?? []) out.columnTypes[i] = CHARACTER_COLUMN;
    return out;
  };
  return adapter;
}
class CatalogueSafeClient extends pg.Client {
  // pg.Pool calls this with a callback; transactions call it for a promise. Fix both paths.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  override query(...args: any[]): any {
    const last = args.length - 1;
    if (typeof args[last] === 'function') {
      const cb = args[last] as (err: unknown, res: unknown) => void;
      args[last] = (err: unknown, res: unknown) => cb(err, err ? res : asText(res));
    }
    const out = (super.query as (...a: unknown[]) => unknown)(...(args as unknown[]));
    return out instanceof Promise ? out.then(asText) : out;
  }
}

// `migrate dev` spreads this config into the shadow database's config: a connection string would
// override the shadow database name and a pool would hide the password, so pass plain fields.
function plainConfig(url: string): pg.PoolConfig {
  const u = new URL(url);
  return {
    host: decodeURIComponent(u.hostname),
    port: Number(u.port || 5432),
    user: decodeURIComponent(u.username),
    password: decodeURIComponent(u.password),
    database: decodeURIComponent(u.pathname.slice(1)),
    Client: CatalogueSafeClient,
    // The CLI never ends its pool; let the process exit once every client is idle.
    allowExitOnIdle: true,
  };
}

class MigrationAdapter extends PrismaPg {
  constructor(private readonly cfg: pg.PoolConfig) {
    super(cfg);
  }
  // The upstream shadow database is dropped while its pool is still connected; close the pool
  // first, then drop it with FORCE.
  override async connect() {
    return retypeCharColumns(await super.connect());
  }

  override async connectToShadowDb() {
    const main = await this.connect();
    const database = `prisma_migrate_shadow_db_${globalThis.crypto.randomUUID().replace(/-/g, '')}`;
    await main.executeScript(`CREATE DATABASE "${database}"`);
    const pool = new pg.Pool({ ...this.cfg, database });
    // idle clients see the FORCE drop as an error event; it is expected
    pool.on('error', () => undefined);
    // The adapter class is not exported; reuse the constructor of the one we already hold.
    const Adapter = main.constructor as new (
      pool: pg.Pool,
      options: undefined,
      release: () => Promise<void>,
    ) => typeof main;
    return retypeCharColumns(
      new Adapter(pool, undefined, async () => {
        await pool.end();
        await main.executeScript(`DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`);
        await main.dispose();
      }),
    );
  }
}

export default defineConfig({
  experimental: { adapter: true },
  engine: 'js',
  schema: 'prisma/schema.prisma',
  migrations: { path: 'prisma/migrations' },
  adapter: async () => {
    const url = databaseUrl;
    if (!url) throw new Error('DATABASE_URL is not set for the Prisma CLI');
    return new MigrationAdapter(plainConfig(url));
  },
});
