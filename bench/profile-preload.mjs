// CPU profile (and, with COUNT_STATEMENTS=1, a count of every statement sent through pg) of the
// app server (dist/main.js) only, written to $PROF_DIR when it exits. `--cpu-prof` is refused in
// NODE_OPTIONS; this preload is not. Usage (docs/perf/writes.md):
//   PROF_DIR=/tmp/prof NODE_OPTIONS="--import ./bench/profile-preload.mjs" npm run bench -- commerce
//   node bench/profile-summary.mjs /tmp/prof/app-*.cpuprofile
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { createRequire } from 'node:module';
import { join } from 'node:path';

if ((process.argv[1] ?? '').endsWith('dist/main.js')) {
  const dir = process.env.PROF_DIR ?? '.';
  const session = new Session();
  session.connect();
  session.post('Profiler.enable');
  session.post('Profiler.setSamplingInterval', { interval: 1000 });
  session.post('Profiler.start');
  const counts = {};
  if (process.env.COUNT_STATEMENTS) {
    const pg = createRequire(join(process.cwd(), 'package.json'))('pg');
    const query = pg.Client.prototype.query;
    pg.Client.prototype.query = function (config, ...rest) {
      const text = typeof config === 'string' ? config : config?.text;
      if (text) {
        const key = text.replace(/\s+/g, ' ').trim().slice(0, 90);
        counts[key] = (counts[key] ?? 0) + 1;
      }
      return query.call(this, config, ...rest);
    };
  }
  process.on('exit', () => {
    writeFileSync(join(dir, `app-${process.pid}.statements.json`), JSON.stringify(counts, null, 1));
    session.post('Profiler.stop', (err, res) => {
      if (!err) writeFileSync(join(dir, `app-${process.pid}.cpuprofile`), JSON.stringify(res.profile));
    });
  });
}
