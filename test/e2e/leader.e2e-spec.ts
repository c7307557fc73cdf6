import { Inject, Injectable, type INestApplication, Module } from '@nestjs/common';
import { Interval, SchedulerRegistry, ScheduleModule } from '@nestjs/schedule';
import { Test } from '@nestjs/testing';
import {
  InvalidLockOptionsError,
  LEADER_ONLY_METADATA,
  LeaderOnly,
  LeaderService,
  LeaderServiceUnavailableError,
  LockReleasedError,
  RedisLockModule,
} from '../../lib/index.js';
import { useRedisServer } from '../support/suites.js';
import { until } from '../support/until.js';

const NAME = Symbol('instance name');

/** Every run of a leader-only job, across the instances of a test. */
let runs: Array<{ instance: string; fencingToken: number }>;

@Injectable()
class BillingJob {
  constructor(
    private readonly leader: LeaderService,
    @Inject(NAME) readonly instance: string,
  ) {}

  // A schedule that never fires by itself (the interval is far away): the tests call it.
  @Interval('billing', 2_147_483_647)
  @LeaderOnly('jobs:billing', { ttl: 1_000 })
  async charge(): Promise<string> {
    runs.push({
      instance: this.instance,
      fencingToken: this.leader.term('jobs:billing')!.fencingToken,
    });
    return this.instance;
  }
}

async function instance(url: string, name: string): Promise<INestApplication> {
  @Module({
    imports: [RedisLockModule.forRoot({ url, logging: 'silent' }), ScheduleModule.forRoot()],
    providers: [BillingJob, { provide: NAME, useValue: name }],
  })
  class AppModule {}
  const moduleRef = await Test.createTestingModule({ imports: [AppModule] }).compile();
  const app = moduleRef.createNestApplication({ logger: false });
  await app.init();
  return app;
}

describe('@LeaderOnly and LeaderService', () => {
  const db = useRedisServer();
  let apps: INestApplication[];

  beforeEach(async () => {
    await db.redis.flushall();
    runs = [];
    apps = [];
  });
  afterEach(async () => {
    for (const app of apps) await app.close();
  });

  async function start(name: string): Promise<INestApplication> {
    const app = await instance(db.server.url, name);
    apps.push(app);
    return app;
  }

  it('runs the method on the one leading instance only, and moves it when the leader closes', async () => {
    const [a, b, c] = [await start('a'), await start('b'), await start('c')];
    const services = [a, b, c].map((app) => app.get(LeaderService));
    await until(() => services.some((s) => s.isLeader('jobs:billing')), 'an election');
    expect(services.filter((s) => s.isLeader('jobs:billing'))).toHaveLength(1);

    const results = await Promise.all([a, b, c].map((app) => app.get(BillingJob).charge()));
    const leader = results.find((r) => r !== undefined)!;
    expect(results.filter((r) => r !== undefined)).toEqual([leader]);
    expect(runs).toEqual([{ instance: leader, fencingToken: expect.any(Number) }]);

    // The leader closes: it steps down, and another instance leads at once with a newer term.
    const leaderApp = [a, b, c][['a', 'b', 'c'].indexOf(leader)]!;
    const term = leaderApp.get(LeaderService).term('jobs:billing')!;
    await leaderApp.close();
    apps.splice(apps.indexOf(leaderApp), 1);
    expect(term.signal.reason).toBeInstanceOf(LockReleasedError);
    const rest = apps.map((app) => app.get(LeaderService));
    await until(() => rest.some((s) => s.isLeader('jobs:billing')), 'the next election');
    const next = await Promise.all(apps.map((app) => app.get(BillingJob).charge()));
    expect(next.filter((r) => r !== undefined)).toHaveLength(1);
    expect(runs[1]!.fencingToken).toBeGreaterThan(runs[0]!.fencingToken);
  });

  it('keeps the metadata of the decorators around it (@Interval still registers the job)', async () => {
    const app = await start('a');
    expect(app.get(SchedulerRegistry).getIntervals()).toContain('billing');
    expect(Reflect.getMetadata(LEADER_ONLY_METADATA, BillingJob.prototype.charge)).toEqual({
      name: 'jobs:billing',
      ttl: 1_000,
      method: 'BillingJob.charge()',
    });
  });

  it('LeaderService.elect(): one election per name, refusing a second ttl for it', async () => {
    const app = await start('a');
    const leader = app.get(LeaderService);
    const election = leader.elect('reports', { ttl: 2_000 });
    expect(leader.elect('reports', { ttl: 2_000 })).toBe(election);
    expect(() => leader.elect('reports', { ttl: 3_000 })).toThrow(InvalidLockOptionsError);
    expect(() => leader.elect('jobs:billing')).toThrow(/Use one ttl per election name/);
    await until(() => leader.isLeader('reports'), 'the election');
    expect(leader.term('reports')).toMatchObject({
      name: 'reports',
      fencingToken: expect.any(Number),
    });
    expect(leader.isLeader('nobody-elects-this')).toBe(false);
  });

  it('refuses misuse when the class is defined, and a call without the module', () => {
    expect(() => LeaderOnly('')).toThrow(InvalidLockOptionsError);
    expect(() => LeaderOnly('x', { ttl: 1 })).toThrow(/ttl/);
    expect(() => LeaderOnly('x', { lease: 1 } as never)).toThrow(/Unknown @LeaderOnly option/);
    class Plain {
      @LeaderOnly('plain')
      run(): string {
        return 'ran';
      }
    }
    expect(() => new Plain().run()).toThrow(LeaderServiceUnavailableError);
  });
});
