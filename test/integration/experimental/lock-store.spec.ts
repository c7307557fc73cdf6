import { randomUUID } from 'node:crypto';
import type { ChildProcess } from 'node:child_process';
import type { Cluster, Redis } from 'ioredis';
import type { LockAcquireResult } from '../../../lib/experimental/index.js';
import {
  CLIENT_KINDS,
  type ClientKind,
  connectClient,
  connectClusterClient,
  type TestClient,
} from '../../support/lock-clients.js';
import { forkWorker, nextMessage } from '../../support/processes.js';
import { useRedisCluster, useRedisServer } from '../../support/suites.js';
import { type ContractTarget, lockStoreContract, oneWinner } from './lock-store-contract.js';

const PROCESSES = 4;
const CALLERS_PER_PROCESS = 8;

/**
 * Several processes race for one key, round after round: exactly one caller of all of them wins
 * each round, and each round's token is greater than the last.
 */
async function raceAcrossProcesses(target: string): Promise<void> {
  const prefix = `processes-${randomUUID()}:`;
  const workers: ChildProcess[] = Array.from({ length: PROCESSES }, () =>
    forkWorker('lock-store-worker.cjs', [target, prefix, String(CALLERS_PER_PROCESS)]),
  );
  try {
    await Promise.all(workers.map((worker) => nextMessage(worker, 'ready')));
    let previous = 0;
    for (let round = 0; round < 5; round++) {
      const raced = nextAll<{ results: Array<{ owner: string; result: LockAcquireResult }> }>(
        workers,
        'raced',
      );
      for (const worker of workers) worker.send({ type: 'race', key: 'shared', round });
      const perWorker = (await raced).map((message) => message.results);
      const all = perWorker.flat();
      expect(all).toHaveLength(PROCESSES * CALLERS_PER_PROCESS);
      const { winner, token } = oneWinner(all.map((entry) => entry.result));
      expect(token).toBeGreaterThan(previous);
      previous = token;
      const holder = workers[Math.floor(winner / CALLERS_PER_PROCESS)]!;
      const released = nextMessage<{ type: string; released: boolean }>(holder, 'released');
      holder.send({ type: 'release', key: 'shared', owner: all[winner]!.owner });
      expect((await released).released).toBe(true);
    }
  } finally {
    for (const worker of workers) {
      if (worker.connected) worker.send({ type: 'exit' });
    }
  }
}

function nextAll<T>(workers: ChildProcess[], type: string): Promise<T[]> {
  return Promise.all(workers.map((worker) => nextMessage<T & { type: string }>(worker, type)));
}

describe('RedisLockStore (the @nestjs/locks LockStore contract) on a single Redis', () => {
  const db = useRedisServer();
  const clients: Redis[] = [];
  beforeAll(() => {
    clients.push(db.redis, db.server.client(), db.server.client(), db.server.client());
  });

  lockStoreContract((): ContractTarget => ({ clients }));

  it(`of ${PROCESSES} processes × ${CALLERS_PER_PROCESS} callers racing for one key, exactly one wins, round after round`, async () => {
    await raceAcrossProcesses(`redis:${db.server.port}`);
  });
});

describe('RedisLockStore (the @nestjs/locks LockStore contract) on a Redis Cluster', () => {
  const redis = useRedisCluster();
  const clients: Cluster[] = [];
  beforeAll(() => {
    clients.push(redis.client, redis.cluster.client(), redis.cluster.client());
  });

  lockStoreContract((): ContractTarget => ({ clients }));

  it(`of ${PROCESSES} processes × ${CALLERS_PER_PROCESS} callers racing for one key, exactly one wins, round after round`, async () => {
    const masters = await redis.cluster.masters();
    await raceAcrossProcesses(`cluster:${masters.map((m) => m.port).join(',')}`);
  });
});

// The same contract through the other client libraries (the ioredis client above looks at Redis).
const OTHER_KINDS = CLIENT_KINDS.filter((kind) => kind !== 'ioredis 6');

describe.each<ClientKind>(OTHER_KINDS)('RedisLockStore on a single Redis through %s', (kind) => {
  const db = useRedisServer();
  const made: TestClient[] = [];
  beforeAll(async () => {
    for (let i = 0; i < 3; i++) made.push(await connectClient(kind, db.server.port));
  });
  afterAll(() => Promise.all(made.map((client) => client.close())));

  lockStoreContract((): ContractTarget => ({
    clients: [db.redis],
    storeClients: made.map((c) => c.client),
  }));
});

describe.each<ClientKind>(['node-redis 6 (RESP3)', 'node-redis 5 (RESP2)'])(
  'RedisLockStore on a Redis Cluster through %s',
  (kind) => {
    const redis = useRedisCluster();
    const made: TestClient[] = [];
    beforeAll(async () => {
      const ports = (await redis.cluster.masters()).map((master) => master.port);
      for (let i = 0; i < 3; i++) made.push(await connectClusterClient(kind, ports));
    });
    afterAll(() => Promise.all(made.map((client) => client.close())));

    lockStoreContract((): ContractTarget => ({
      clients: [redis.client],
      storeClients: made.map((c) => c.client),
    }));
  },
);
