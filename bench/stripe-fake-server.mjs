// The tests' Stripe-compatible server (test/support/stripe-fake.ts) as a process of its own for
// the benchmarks: prints {url, secretKey, webhookSecret} and serves until killed.
import { join } from 'node:path';
import { loadTs, ROOT } from './lib.mjs';

const { StripeFake } = loadTs(join(ROOT, 'test/support/stripe-fake.ts'));
const fake = new StripeFake();
const url = await fake.start();
process.stdout.write(
  JSON.stringify({
    url,
    secretKey: fake.secretKey,
    webhookSecret: fake.webhookSecret,
    connectWebhookSecret: fake.connectWebhookSecret,
  }) + '\n',
);
// keep its memory flat over long runs: the benchmark builds its own events
setInterval(() => fake.events.splice(0), 1000).unref();
