// `node scripts/check-structure.mjs [--mermaid]`: the structure drawn from the code. Reads every
// import of src/ (tests and specs left out), then reports
//   - circles between files, and between domain modules (src/modules/<name>);
//   - arrows back up: the layers are app (main, app.module, app.factory, seed) → modules →
//     platform → config, and an import may only point down or sideways within a module;
//   - second ways to the database: every transaction is `Database.transaction` and every
//     hand-written statement `Db.query`/`execute` (src/platform/database/database.ts); Prisma's
//     interactive transactions and raw SQL, and pg itself outside platform/database (and Prisma's
//     driver adapter in platform/prisma), are refused, as is a second transaction method;
//   - with --mermaid, the module graph as a Mermaid flowchart (for the README).
// Exits 1 when it finds a circle, an arrow back up or a second way to the database.
import { readdirSync, readFileSync, statSync, existsSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const src = join(root, 'src');

function walk(dir, out = []) {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p, out);
    else if (p.endsWith('.ts') && !p.endsWith('.spec.ts') && !p.endsWith('.d.ts')) out.push(p);
  }
  return out;
}

function resolveImport(from, spec) {
  if (!spec.startsWith('.')) return null;
  const base = resolve(dirname(from), spec);
  for (const c of [base + '.ts', join(base, 'index.ts')]) if (existsSync(c)) return c;
  return null;
}

const files = walk(src);
const edges = new Map(); // file → Set(file)
for (const file of files) {
  const text = readFileSync(file, 'utf8');
  const info = ts.preProcessFile(text, true, true);
  const to = new Set();
  for (const imp of info.importedFiles) {
    const target = resolveImport(file, imp.fileName);
    if (target) to.add(target);
  }
  edges.set(file, to);
}

const rel = (f) => relative(src, f);
function layerOf(f) {
  const r = rel(f);
  if (r.startsWith('config/')) return { layer: 0, name: 'config' };
  if (r.startsWith('platform/')) return { layer: 1, name: 'platform' };
  if (r.startsWith('modules/')) return { layer: 2, name: `modules/${r.split('/')[1]}` };
  return { layer: 3, name: 'app' };
}

// Tarjan's strongly connected components over a graph given as Map(node → Set(node)).
function circles(graph) {
  let index = 0;
  const idx = new Map(),
    low = new Map(),
    onStack = new Set(),
    stack = [],
    out = [];
  const visit = (v) => {
    idx.set(v, index);
    low.set(v, index);
    index++;
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!idx.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v), low.get(w)));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v), idx.get(w)));
    }
    if (low.get(v) === idx.get(v)) {
      const comp = [];
      let w;
      do {
        w = stack.pop();
        onStack.delete(w);
        comp.push(w);
      } while (w !== v);
      if (comp.length > 1 || (graph.get(v) ?? new Set()).has(v)) out.push(comp);
    }
  };
  for (const v of graph.keys()) if (!idx.has(v)) visit(v);
  return out;
}

const fileCircles = circles(edges);
const moduleGraph = new Map();
const upward = [];
for (const [from, tos] of edges) {
  const a = layerOf(from);
  for (const to of tos) {
    const b = layerOf(to);
    if (b.layer > a.layer) upward.push(`${rel(from)} → ${rel(to)}`);
    if (a.name.startsWith('modules/') && b.name.startsWith('modules/') && a.name !== b.name) {
      if (!moduleGraph.has(a.name)) moduleGraph.set(a.name, new Set());
      moduleGraph.get(a.name).add(b.name);
    }
  }
}
const moduleCircles = circles(moduleGraph);

if (process.argv.includes('--mermaid')) {
  console.log('flowchart TD');
  for (const [a, tos] of [...moduleGraph].sort())
    for (const b of [...tos].sort()) console.log(`  ${a.slice(8)} --> ${b.slice(8)}`);
}
console.log(`files: ${files.length}, imports: ${[...edges.values()].reduce((n, s) => n + s.size, 0)}`);
console.log(`file circles: ${fileCircles.length}`);
for (const c of fileCircles) console.log(`  ${c.map(rel).join(' ↔ ')}`);
console.log(`module circles: ${moduleCircles.length}`);
for (const c of moduleCircles) console.log(`  ${c.join(' ↔ ')}`);
console.log(`arrows back up: ${upward.length}`);
for (const u of upward) console.log(`  ${u}`);

// one way to the database
const secondWays = [];
const DATABASE_DIRS = ['platform/database/', 'platform/prisma/'];
const forbidden = [
  [/\$transaction\b/, "Prisma's interactive transaction (use Database.transaction)"],
  [/\$(queryRaw|executeRaw)(Unsafe)?\b/, "Prisma's raw SQL (use Db.query / execute)"],
  [/Prisma\.TransactionClient|\bSqlTx\b/, 'a second transaction type (use Tx)'],
  [/\b(sqlTransaction|withLockedForAdd)\b/, 'a second transaction method'],
];
for (const file of files) {
  const r = rel(file);
  const text = readFileSync(file, 'utf8');
  text.split('\n').forEach((line, i) => {
    for (const [re, why] of forbidden) if (re.test(line)) secondWays.push(`${r}:${i + 1} ${why}`);
  });
  if (!DATABASE_DIRS.some((d) => r.startsWith(d)) && /from 'pg'/.test(text))
    secondWays.push(`${r} imports pg (use Database)`);
}
console.log(`second ways to the database: ${secondWays.length}`);
for (const w of secondWays) console.log(`  ${w}`);
process.exitCode = fileCircles.length || moduleCircles.length || upward.length || secondWays.length ? 1 : 0;
