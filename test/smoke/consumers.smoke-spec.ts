import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { startRedis, stopAllRedis, type RedisServer } from '../support/redis-server.js';
import {
  installConsumer,
  installedVersions,
  knownTypeGap,
  packLibrary,
  pinnedVersions,
  run,
  runConsumer,
  runHealthCheck,
  typeCheckAndEmit,
} from './consumer-harness.js';
import { clientPackages, smokeConsumers } from './consumers.js';

// The e2e suite runs on the repository's own NestJS 11 and client packages, all installed at
// once; these prove each end of the peer ranges, as CommonJS and as ES modules, against the
// packed tarball as users install it, each app with one Redis client library only (ioredis,
// node-redis or iovalkey), each from a committed lockfile (`npm run smoke:latest` tries today's
// newest instead).
describe('the packed library in consumer applications', () => {
  let server: RedisServer;
  let tarball: string;

  beforeAll(() => {
    tarball = packLibrary();
  });
  beforeAll(async () => {
    server = await startRedis();
  });
  afterAll(() => stopAllRedis());

  it.each(smokeConsumers)(
    '$name installs its locked versions, type-checks strictly and locks',
    (consumer) => {
      const dir = installConsumer(consumer, tarball, 'locked');
      const pinned = pinnedVersions(consumer);
      // Exactly the committed versions: the lockfile, not the registry of the day, decides.
      expect(installedVersions(dir, Object.keys(pinned))).toEqual(pinned);

      // Our declarations and the app's code, strictly, less the known gaps a strict app is told
      // about; a third party's own declarations are upstream's business (and watched by
      // smoke:latest).
      const problems = typeCheckAndEmit(dir, consumer).filter(
        (problem) =>
          (problem.owner === 'app' || problem.owner === 'nestjs-redis-lock') &&
          knownTypeGap(problem, pinned) === undefined,
      );
      expect(problems.map((problem) => problem.text)).toEqual([]);
      const compiled = readFileSync(join(dir, 'dist', 'main.js'), 'utf8');
      expect(compiled.includes('require("nestjs-redis-lock")')).toBe(
        consumer.moduleType === 'commonjs',
      );

      expect(runConsumer(dir, server.url, consumer.name)).toEqual({
        ok: true,
        values: Array.from({ length: 20 }, (_, i) => i + 1),
        conflict: 409,
        free: 201,
      });

      const optional = ['@opentelemetry/api', '@nestjs/terminus'].map((name) =>
        existsSync(join(dir, 'node_modules', name)),
      );
      expect(optional).toEqual([consumer.optionalPeers, consumer.optionalPeers]);
      // Only the app's own client library, as the library itself resolves packages: npm
      // installs no other (the client peers are optional), and none is found further up.
      const fromLibrary = createRequire(
        join(dir, 'node_modules', 'nestjs-redis-lock', 'package.json'),
      );
      const found = Object.values(clientPackages).filter((name) => {
        try {
          fromLibrary.resolve(name);
          return true;
        } catch {
          return false;
        }
      });
      expect(found).toEqual([clientPackages[consumer.client]]);
      if (consumer.optionalPeers) {
        expect(runHealthCheck(dir, server.url)).toEqual({ status: 'ok' });
      }

      // The command npm linked from "bin", run as an operator would (executable, shebang). It
      // connects with ioredis, which it documents: without it, it says what is missing, in one
      // line on stderr.
      const bin = join(dir, 'node_modules', '.bin', 'nestjs-redis-lock');
      const inspect = (): string =>
        run(bin, ['inspect', `counter:${consumer.name}`, '--url', server.url], dir);
      if (consumer.client === 'ioredis') {
        expect(inspect()).toBe(`counter:${consumer.name}  free\n`);
      } else {
        // One line that says what is missing and how to run it with ioredis.
        expect(inspect).toThrow(
          /\nnestjs-redis-lock: The command line connects to Redis with ioredis, which is not installed where it runs \(Cannot find (module|package) 'ioredis'.*npx -p ioredis -p nestjs-redis-lock nestjs-redis-lock <command>\. The application itself may use node-redis\.\n$/,
        );
      }
    },
  );
});
