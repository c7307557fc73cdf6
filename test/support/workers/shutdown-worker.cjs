// A Nest app whose one route holds a lock until its signal aborts, for shutdown tests: it stops
// its work when the lock is taken from it, as the README recommends.
// Usage (forked with IPC): shutdown-worker.cjs <redis-url> <hooks|no-hooks> <shutdownTimeout>
require('reflect-metadata');
const { Controller, Module, Param, Post } = require('@nestjs/common');
const { NestFactory } = require('@nestjs/core');
const {
  DistributedLock,
  RedisLockModule,
  RedisLockService,
} = require('../../../dist/cjs/index.js');

const [url, hooks, shutdownTimeout] = process.argv.slice(2);

class Jobs {
  constructor(locks) {
    this.locks = locks;
  }
  async run(id) {
    const { signal } = this.locks.current();
    process.send({ type: 'running', id });
    await new Promise((_, reject) =>
      signal.addEventListener('abort', () => reject(signal.reason), { once: true }),
    );
  }
}
Param('id')(Jobs.prototype, 'run', 0);
Object.defineProperty(
  Jobs.prototype,
  'run',
  Reflect.decorate(
    [Post(':id'), DistributedLock('job:<0>')],
    Jobs.prototype,
    'run',
    Object.getOwnPropertyDescriptor(Jobs.prototype, 'run'),
  ),
);
Reflect.defineMetadata('design:paramtypes', [RedisLockService], Jobs);
Controller('jobs')(Jobs);

class AppModule {}
Module({
  imports: [RedisLockModule.forRoot({ url, shutdownTimeout: Number(shutdownTimeout) })],
  controllers: [Jobs],
})(AppModule);

async function main() {
  const app = await NestFactory.create(AppModule, { logger: false });
  if (hooks === 'hooks') app.enableShutdownHooks();
  await app.listen(0, '127.0.0.1');
  process.send({ type: 'listening', url: await app.getUrl() });
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
