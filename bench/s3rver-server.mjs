// A local S3-compatible server (s3rver, as in the tests) as a process of its own for the
// benchmarks, so it does not share an event loop with the load or the raw baseline.
// PORT and S3_DIR from the environment; bucket BENCH_S3_BUCKET (default beat-bench).
import S3rver from 's3rver';

const server = new S3rver({
  address: '127.0.0.1',
  port: Number(process.env.PORT),
  silent: true,
  directory: process.env.S3_DIR,
  configureBuckets: [{ name: process.env.BENCH_S3_BUCKET ?? 'beat-bench' }],
});
await server.run();
