import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { startRedis, stopAllRedis, type RedisServer } from '../support/redis-server.js';

const run = promisify(execFile);
const worker = join(__dirname, '..', 'support', 'workers', 'otel-consumer.mjs');

// Jest runs the TypeScript sources through its own module system; this checks the compiled
// builds as Node loads them: the dynamic import() of @opentelemetry/api from the CommonJS build
// and from the ES module build (the packed library without it is the smoke test's job).
describe('OpenTelemetry from the compiled builds', () => {
  let server: RedisServer;

  beforeAll(async () => {
    server = await startRedis();
  });
  afterAll(() => stopAllRedis());

  it.each(['cjs', 'esm'])('dist/%s loads the API lazily and records a lock', async (build) => {
    const { stdout } = await run(process.execPath, [worker, build, server.url], {
      timeout: 30_000,
    });
    expect(JSON.parse(stdout.trim().split('\n').pop()!)).toEqual({
      acquired: 1,
      span: { key: `otel:${build}`, fencingToken: true, outcome: 'released' },
    });
  });
});
