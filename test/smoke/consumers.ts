/**
 * The consumer applications that prove the peer ranges of package.json: every end of every range
 * we promise (the lowest supported and the newest known NestJS 11 and 12, ioredis 5 and 6,
 * node-redis 5 and 6, iovalkey), as a CommonJS app and as an ES-module app. Each one is a directory under `consumers/` with its own
 * `package.json` (exact versions) and `package-lock.json`, so the gate installs the same tree every
 * day; `npm run smoke:latest` installs the newest in-range versions instead, to see upstream drift.
 *
 * To add or move a consumer: edit its package.json, then `npm install --package-lock-only` in its
 * directory, and commit both files.
 */
/**
 * The Redis client library a consumer connects with (`consumer/clients/<name>.ts`). Each
 * consumer installs only its own: a node-redis or iovalkey app never has ioredis.
 */
export type ClientLibrary = 'ioredis' | 'node-redis' | 'iovalkey';

/** The npm package of each client library. */
export const clientPackages: Readonly<Record<ClientLibrary, string>> = {
  ioredis: 'ioredis',
  'node-redis': 'redis',
  iovalkey: 'iovalkey',
};

export interface SmokeConsumer {
  /** The directory under `consumers/`. */
  readonly name: string;
  readonly moduleType: 'commonjs' | 'module';
  readonly client: ClientLibrary;
  /** What the consumer proves, for reports. */
  readonly proves: string;
  /**
   * The range each dependency is drawn from in `smoke:latest`: the range we promise for a peer,
   * narrowed to the major this consumer stands for.
   */
  readonly ranges: Readonly<Record<string, string>>;
  /** Whether the optional peers (Terminus, OpenTelemetry) are installed: both cases are proven. */
  readonly optionalPeers: boolean;
}

const nest11 = {
  '@nestjs/common': '^11.0.0',
  '@nestjs/core': '^11.0.0',
  '@nestjs/platform-express': '^11.0.0',
};
// 12.0.0 itself cannot be installed: @nestjs/core@12.0.0 declares a peer @nestjs/common@^11.
const nest12 = {
  '@nestjs/common': '^12.0.1',
  '@nestjs/core': '^12.0.1',
  '@nestjs/platform-express': '^12.0.1',
};
const optional11 = { '@nestjs/terminus': '^11.0.0', '@opentelemetry/api': '^1.3.0' };
const optional12 = { '@nestjs/terminus': '^12.0.0', '@opentelemetry/api': '^1.3.0' };
const common = {
  '@types/node': '^20.19.0',
  'reflect-metadata': '^0.1.13 || ^0.2.0',
  rxjs: '^7.1.0',
};

export const smokeConsumers: readonly SmokeConsumer[] = [
  {
    name: 'cjs-nest11-ioredis5-lowest',
    moduleType: 'commonjs',
    client: 'ioredis',
    proves: 'the lowest NestJS 11, ioredis 5, Terminus 11 and other peers we accept, CommonJS',
    ranges: { ...nest11, ...common, ...optional11, ioredis: '^5.6.0' },
    optionalPeers: true,
  },
  {
    name: 'cjs-nest11-ioredis6-newest',
    moduleType: 'commonjs',
    client: 'ioredis',
    proves: 'the newest NestJS 11 with the newest ioredis 6 and the optional peers, CommonJS',
    ranges: { ...nest11, ...common, ...optional11, ioredis: '^6.0.0' },
    optionalPeers: true,
  },
  {
    name: 'esm-nest11-ioredis5-newest',
    moduleType: 'module',
    client: 'ioredis',
    proves: 'the newest NestJS 11 with the newest ioredis 5, ES modules, without optional peers',
    ranges: { ...nest11, ...common, ioredis: '^5.6.0' },
    optionalPeers: false,
  },
  {
    name: 'esm-nest12-ioredis6-lowest',
    moduleType: 'module',
    client: 'ioredis',
    proves: 'the lowest NestJS 12, ioredis 6 and Terminus 12 we accept, ES modules',
    ranges: { ...nest12, ...common, ...optional12, ioredis: '^6.0.0' },
    optionalPeers: true,
  },
  {
    name: 'esm-nest12-ioredis6-newest',
    moduleType: 'module',
    client: 'ioredis',
    proves: 'the newest NestJS 12 and ioredis 6 with the optional peers, ES modules',
    ranges: { ...nest12, ...common, ...optional12, ioredis: '^6.0.0' },
    optionalPeers: true,
  },
  {
    name: 'esm-nest12-node-redis6-newest',
    moduleType: 'module',
    client: 'node-redis',
    proves:
      'the newest node-redis 6 without ioredis (nodeRedis: true, and createClient() as client) on the newest NestJS 12 with the optional peers, ES modules',
    ranges: { ...nest12, ...common, ...optional12, redis: '^6.0.0' },
    optionalPeers: true,
  },
  {
    name: 'esm-nest12-node-redis6-lowest',
    moduleType: 'module',
    client: 'node-redis',
    proves:
      'the lowest node-redis 6 we accept without ioredis, with the lowest NestJS 12, without optional peers, ES modules',
    ranges: { ...nest12, ...common, redis: '^6.0.0' },
    optionalPeers: false,
  },
  {
    name: 'cjs-nest11-node-redis5-lowest',
    moduleType: 'commonjs',
    client: 'node-redis',
    proves:
      'the lowest node-redis 5 we accept without ioredis, with the lowest NestJS 11 and optional peers, CommonJS',
    ranges: { ...nest11, ...common, ...optional11, redis: '^5.0.0' },
    optionalPeers: true,
  },
  {
    name: 'cjs-nest11-iovalkey-newest',
    moduleType: 'commonjs',
    client: 'iovalkey',
    // 0.4.0 is both ends of ^0.4.0: the only 0.4 release so far.
    proves:
      'iovalkey 0.4 without ioredis (a client the app hands the module) on the newest NestJS 11, without optional peers, CommonJS',
    ranges: { ...nest11, ...common, iovalkey: '^0.4.0' },
    optionalPeers: false,
  },
];
