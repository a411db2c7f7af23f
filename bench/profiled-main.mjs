// Runs the built server (dist/main.js), or the raw baseline named by PROFILE_SCRIPT, with a CPU
// profiler toggled by SIGUSR2: the first signal starts sampling, the second writes the profile to
// PROFILE_OUT (bench/profile.mjs drives it), so the file holds the measured load only, not the
// boot or the shutdown.
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const session = new Session();
session.connect();
let running = false;
process.on('SIGUSR2', () => {
  if (!running) {
    running = true;
    session.post('Profiler.enable', () =>
      session.post('Profiler.setSamplingInterval', { interval: 1000 }, () => session.post('Profiler.start')),
    );
    return;
  }
  running = false;
  session.post('Profiler.stop', (err, result) => {
    if (err) throw err;
    writeFileSync(process.env.PROFILE_OUT, JSON.stringify(result.profile));
  });
});
const script = process.env.PROFILE_SCRIPT ?? new URL('../dist/main.js', import.meta.url).pathname;
await import(pathToFileURL(resolve(script)).href);
