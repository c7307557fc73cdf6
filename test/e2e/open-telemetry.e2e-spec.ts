import { Controller, Injectable, type INestApplication, Module, Param, Post } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { context, createNoopMeter, metrics, SpanStatusCode, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import {
  AggregationTemporality,
  type DataPoint,
  type Histogram,
  InMemoryMetricExporter,
  MeterProvider,
  type MetricData,
  PeriodicExportingMetricReader,
} from '@opentelemetry/sdk-metrics';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import request from 'supertest';
import {
  DistributedLock,
  InvalidLockOptionsError,
  LockLostError,
  LockManager,
  LockTimeoutError,
  RedisLockModule,
  type RedisLockModuleOptions,
  RedisLockService,
} from '../../lib/index.js';
import { loadOpenTelemetry } from '../../lib/telemetry/load-open-telemetry.js';
import { createLockTelemetry } from '../../lib/telemetry/lock-telemetry.js';
import type { OpenTelemetryApi } from '../../lib/telemetry/open-telemetry-api.interface.js';
import { resolveOpenTelemetry } from '../../lib/telemetry/resolve-open-telemetry-options.js';
import { createApp } from './fixtures/create-app.js';
import { useRedisServer } from '../support/suites.js';

// The library describes the API it uses structurally: the real one must fit that description.
const realApi: OpenTelemetryApi = { metrics, trace, context, createNoopMeter };

@Injectable()
class Payments {
  constructor(private readonly locks: RedisLockService) {}

  @DistributedLock('order:<orderId>', { waitTimeout: 100 })
  async pay(orderId: string, work?: () => Promise<void>): Promise<number> {
    // Traced work inside the locked method nests under the lock's span.
    trace.getTracer('app').startSpan('charge card').end();
    await work?.();
    return this.locks.current()!.fencingToken;
  }

  @DistributedLock('order:<orderId>')
  async refund(orderId: string): Promise<number> {
    return this.pay(orderId);
  }
}

@Controller('orders')
class OrdersController {
  @Post(':orderId')
  @DistributedLock('order:<orderId>')
  async create(@Param('orderId') orderId: string): Promise<{ orderId: string }> {
    return { orderId };
  }
}

@Module({ controllers: [OrdersController] })
class HttpAppModule {}

const lockSpans = (spans: readonly ReadableSpan[]): ReadableSpan[] =>
  spans.filter((s) => s.name === 'redis_lock.hold');

describe('OpenTelemetry metrics and spans (SDK with in-memory exporters)', () => {
  const db = useRedisServer();
  let rival: LockManager;
  let spans: InMemorySpanExporter;
  let tracerProvider: BasicTracerProvider;
  let metricExporter: InMemoryMetricExporter;
  let reader: PeriodicExportingMetricReader;
  let meterProvider: MeterProvider;
  let app: INestApplication | undefined;

  async function boot(options: Partial<RedisLockModuleOptions> = {}): Promise<INestApplication> {
    const moduleRef = await Test.createTestingModule({
      imports: [RedisLockModule.forRoot({ url: db.server.url, ...options })],
      providers: [Payments],
    }).compile();
    app = moduleRef.createNestApplication({ logger: false });
    await app.init();
    return app;
  }

  /** The metrics recorded so far, by name (cumulative). */
  async function collect(): Promise<Map<string, MetricData>> {
    await reader.forceFlush();
    const last = metricExporter.getMetrics().at(-1);
    return new Map(
      (last?.scopeMetrics ?? [])
        .filter((scope) => scope.scope.name === 'nestjs-redis-lock')
        .flatMap((scope) => scope.metrics)
        .map((metric) => [metric.descriptor.name, metric]),
    );
  }

  function point<T>(metric: MetricData | undefined, attributes: Record<string, string> = {}): T {
    const found = (metric?.dataPoints as Array<DataPoint<T>> | undefined)?.find((p) =>
      Object.entries(attributes).every(([k, v]) => p.attributes[k] === v),
    );
    if (!found) throw new Error(`no data point ${JSON.stringify(attributes)}`);
    return found.value;
  }

  beforeAll(async () => {
    rival = db.manager();
    context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
    spans = new InMemorySpanExporter();
    tracerProvider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(spans)] });
    trace.setGlobalTracerProvider(tracerProvider);
  });
  beforeEach(() => {
    // A fresh meter provider per test: the module takes its meter at bootstrap.
    metricExporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
    reader = new PeriodicExportingMetricReader({
      exporter: metricExporter,
      exportIntervalMillis: 3_600_000,
    });
    meterProvider = new MeterProvider({ readers: [reader] });
    metrics.disable();
    metrics.setGlobalMeterProvider(meterProvider);
    spans.reset();
  });
  afterEach(async () => {
    await app?.close();
    app = undefined;
    await meterProvider.shutdown();
  });
  afterAll(async () => {
    metrics.disable();
    trace.disable();
    context.disable();
    await tracerProvider.shutdown();
  });

  it('a span around the wait and the hold of a decorated method, its work nested inside', async () => {
    const payments = (await boot()).get(Payments);
    const tracer = trace.getTracer('test');
    let fencingToken = 0;
    await tracer.startActiveSpan('POST /orders/42/pay', async (request) => {
      fencingToken = await payments.pay('42');
      request.end();
    });
    const finished = spans.getFinishedSpans();
    const [lock] = lockSpans(finished);
    const request = finished.find((s) => s.name === 'POST /orders/42/pay')!;
    const charge = finished.find((s) => s.name === 'charge card')!;
    expect(lock!.attributes).toEqual({
      'lock.key': 'order:42',
      'lock.kind': 'lock',
      'lock.fencing_token': fencingToken,
      'lock.wait_ms': expect.any(Number),
      'lock.outcome': 'released',
    });
    expect(lock!.status.code).toBe(SpanStatusCode.UNSET);
    expect(lock!.instrumentationScope.name).toBe('nestjs-redis-lock');
    expect(lock!.parentSpanContext?.spanId).toBe(request.spanContext().spanId);
    expect(charge.parentSpanContext?.spanId).toBe(lock!.spanContext().spanId);
  });

  it('a decorated route over real HTTP gets its span too', async () => {
    const running = await createApp({
      module: HttpAppModule,
      imports: [RedisLockModule.forRoot({ url: db.server.url })],
    });
    app = running.app;
    const reply = await request(running.url).post('/orders/7');
    expect(reply.status).toBe(201);
    expect(lockSpans(spans.getFinishedSpans()).map((s) => s.attributes)).toEqual([
      {
        'lock.key': 'order:7',
        'lock.kind': 'lock',
        'lock.fencing_token': expect.any(Number),
        'lock.wait_ms': expect.any(Number),
        'lock.outcome': 'released',
      },
    ]);
  });

  it('outcomes: timeout (not an error), a failing method (error status), a lost lock', async () => {
    const payments = (await boot()).get(Payments);

    const held = await rival.acquire('order:busy');
    await expect(payments.pay('busy')).rejects.toBeInstanceOf(LockTimeoutError);
    await held.release();

    await expect(
      payments.pay('failing', async () => {
        throw new Error('card declined');
      }),
    ).rejects.toThrow('card declined');

    // Lost while the method ran: the method returns, its caller gets the LockLostError.
    await expect(
      payments.pay('stolen', async () => {
        await rival.forceRelease('order:stolen');
        await expect(app!.get(RedisLockService).current()!.extend()).rejects.toBeInstanceOf(
          LockLostError,
        );
      }),
    ).rejects.toBeInstanceOf(LockLostError);

    const [busy, failing, stolen] = lockSpans(spans.getFinishedSpans());
    expect(busy!.attributes).toMatchObject({ 'lock.key': 'order:busy', 'lock.outcome': 'timeout' });
    expect(busy!.attributes['lock.wait_ms']).toBeGreaterThanOrEqual(90);
    expect(busy!.attributes['lock.fencing_token']).toBeUndefined();
    expect(busy!.status.code).toBe(SpanStatusCode.UNSET);

    expect(failing!.attributes).toMatchObject({ 'lock.outcome': 'released' });
    expect(failing!.status).toEqual({ code: SpanStatusCode.ERROR, message: 'card declined' });
    expect(failing!.events.map((e) => e.name)).toEqual(['exception']);

    expect(stolen!.attributes).toMatchObject({
      'lock.key': 'order:stolen',
      'lock.outcome': 'lost',
    });
    expect(stolen!.status.code).toBe(SpanStatusCode.ERROR);
  });

  it('a re-entered lock: its own span, nested, with the outer fencing token', async () => {
    const payments = (await boot()).get(Payments);
    const fencingToken = await payments.refund('9');
    const [inner, outer] = lockSpans(spans.getFinishedSpans());
    expect(outer!.attributes).toMatchObject({
      'lock.outcome': 'released',
      'lock.fencing_token': fencingToken,
    });
    expect(inner!.attributes).toMatchObject({
      'lock.outcome': 'reentered',
      'lock.fencing_token': fencingToken,
    });
    expect(inner!.parentSpanContext?.spanId).toBe(outer!.spanContext().spanId);
  });

  it('semaphore permits and read locks: their kind, and no fencing token', async () => {
    const locks = (await boot()).get(RedisLockService);
    await locks.withPermit('exports', async () => undefined, { permits: 2 });
    await locks.withReadLock('catalog', async () => undefined);
    await locks.withWriteLock('catalog', async () => undefined);
    const [permit, read, write] = lockSpans(spans.getFinishedSpans());
    expect(permit!.attributes).toEqual({
      'lock.key': 'exports',
      'lock.kind': 'permit',
      'lock.wait_ms': expect.any(Number),
      'lock.outcome': 'released',
    });
    expect(read!.attributes).toMatchObject({
      'lock.kind': 'read-lock',
      'lock.outcome': 'released',
    });
    expect(read!.attributes['lock.fencing_token']).toBeUndefined();
    expect(write!.attributes).toMatchObject({
      'lock.kind': 'write-lock',
      'lock.fencing_token': expect.any(Number),
    });
  });

  it('withLock is traced the same way', async () => {
    const locks = (await boot()).get(RedisLockService);
    await locks.withLock(['b', 'a', 'b'], async () => undefined);
    expect(lockSpans(spans.getFinishedSpans()).map((s) => s.attributes['lock.key'])).toEqual([
      'a + b',
    ]);
  });

  it('metrics: acquire, wait and hold durations per outcome, lost locks, timeouts, locks held', async () => {
    const booted = await boot();
    const payments = booted.get(Payments);
    const locks = booted.get(RedisLockService);

    await payments.pay('1');
    await payments.pay('2');
    const held = await rival.acquire('order:3');
    setTimeout(() => void held.release(), 30);
    await payments.pay('3'); // waits, then gets it
    const busy = await rival.acquire('order:4');
    await expect(payments.pay('4')).rejects.toBeInstanceOf(LockTimeoutError);
    expect(await locks.tryAcquire('order:4')).toBeNull();
    await busy.release();
    const lost = await locks.acquire('order:5');
    await rival.forceRelease('order:5');
    await expect(lost.extend()).rejects.toBeInstanceOf(LockLostError);
    const kept = [await locks.acquire('kept:1'), await locks.acquire('kept:2')];

    const recorded = await collect();
    const acquire = recorded.get('redis_lock.acquire.duration')!;
    expect(acquire.descriptor.unit).toBe('ms');
    expect(point<Histogram>(acquire, { 'lock.outcome': 'acquired' }).count).toBe(6);
    expect(point<Histogram>(acquire, { 'lock.outcome': 'timeout' }).count).toBe(1);
    expect(point<Histogram>(acquire, { 'lock.outcome': 'timeout' }).sum).toBeGreaterThanOrEqual(90);
    expect(point<Histogram>(acquire, { 'lock.outcome': 'held' }).count).toBe(1);

    const wait = recorded.get('redis_lock.wait.duration')!;
    expect(point<Histogram>(wait, { 'lock.outcome': 'acquired' }).count).toBe(1);
    expect(point<Histogram>(wait, { 'lock.outcome': 'acquired' }).min).toBeGreaterThanOrEqual(20);
    expect(point<Histogram>(wait, { 'lock.outcome': 'timeout' }).count).toBe(1);

    const hold = recorded.get('redis_lock.hold.duration')!;
    expect(point<Histogram>(hold, { 'lock.outcome': 'released' }).count).toBe(3);
    expect(point<Histogram>(hold, { 'lock.outcome': 'lost' }).count).toBe(1);

    expect(point<number>(recorded.get('redis_lock.lost'), { 'lock.lost_reason': 'expired' })).toBe(
      1,
    );
    expect(point<number>(recorded.get('redis_lock.timeouts'))).toBe(1);
    expect(point<number>(recorded.get('redis_lock.held'))).toBe(2);

    await Promise.all(kept.map((l) => l.release()));
    expect(point<number>((await collect()).get('redis_lock.held'))).toBe(0);
  });

  it('stops listening at shutdown', async () => {
    const manager = (await boot()).get(LockManager);
    expect(manager.listenerCount('acquired')).toBe(1);
    await app!.close();
    app = undefined;
    expect(manager.listenerCount('acquired')).toBe(0);
    expect(manager.listenerCount('lost')).toBe(0);
  });

  it('openTelemetry: false records nothing and listens to nothing; { tracing: false } keeps metrics', async () => {
    let booted = await boot({ openTelemetry: false, logging: 'silent' });
    await booted.get(Payments).pay('off');
    expect(booted.get(LockManager).eventNames()).toEqual([]);
    expect(spans.getFinishedSpans().filter((s) => s.name === 'redis_lock.hold')).toEqual([]);
    expect((await collect()).size).toBe(0);
    await app!.close();

    booted = await boot({ openTelemetry: { tracing: false } });
    await booted.get(Payments).pay('metrics-only');
    expect(lockSpans(spans.getFinishedSpans())).toEqual([]);
    const acquire = (await collect()).get('redis_lock.acquire.duration');
    expect(point<Histogram>(acquire, { 'lock.outcome': 'acquired' }).count).toBe(1);
  });
});

// @opentelemetry/api is often installed without an SDK (another package depends on it): the
// module then costs a lock nothing for it, and still traces once a provider is registered.
describe('OpenTelemetry installed, no SDK registered', () => {
  const db = useRedisServer();
  let app: INestApplication | undefined;
  let tracerProvider: BasicTracerProvider | undefined;

  @Injectable()
  class Contexts {
    /** The active context inside a locked method. */
    @DistributedLock('ctx:<id>')
    async inside(id: string): Promise<object> {
      void id;
      return context.active();
    }
  }

  async function boot(): Promise<INestApplication> {
    const moduleRef = await Test.createTestingModule({
      // Silent: the log's listeners aside, nothing else listens.
      imports: [RedisLockModule.forRoot({ url: db.server.url, logging: 'silent' })],
      providers: [Contexts],
    }).compile();
    app = moduleRef.createNestApplication({ logger: false });
    await app.init();
    return app;
  }

  beforeAll(() => {
    metrics.disable();
    trace.disable();
    context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  });
  afterEach(async () => {
    await app?.close();
    app = undefined;
    trace.disable();
    await tracerProvider?.shutdown();
    tracerProvider = undefined;
  });
  afterAll(() => context.disable());

  it("listens to no event of the manager, and leaves the locked method in its caller's context", async () => {
    const booted = await boot();
    expect(booted.get(LockManager).eventNames()).toEqual([]);
    const caller = context.active();
    await expect(booted.get(Contexts).inside('a')).resolves.toBe(caller);
  });

  it('traces the calls made after a tracer provider is registered, however late', async () => {
    const booted = await boot();
    await booted.get(Contexts).inside('before');
    const exported = new InMemorySpanExporter();
    tracerProvider = new BasicTracerProvider({
      spanProcessors: [new SimpleSpanProcessor(exported)],
    });
    trace.setGlobalTracerProvider(tracerProvider);
    const inner = await booted.get(Contexts).inside('after');
    const spansNow = lockSpans(exported.getFinishedSpans());
    expect(spansNow).toHaveLength(1);
    expect(spansNow[0]!.attributes['lock.key']).toBe('ctx:after');
    expect(spansNow[0]!.attributes['lock.outcome']).toBe('released');
    // The method ran inside the lock's span.
    expect(trace.getSpanContext(inner as never)?.spanId).toBe(spansNow[0]!.spanContext().spanId);
  });
});

describe('loading @opentelemetry/api lazily', () => {
  it('loads the installed API, the same global registry the application uses', async () => {
    const api = await loadOpenTelemetry();
    expect(api?.metrics).toBe(realApi.metrics);
    expect(api?.trace).toBe(realApi.trace);
  });

  it('without the package: undefined, and the module goes on without it unless it asked for it', async () => {
    const missing = () => loadOpenTelemetry('@opentelemetry/not-installed-here');
    await expect(missing()).resolves.toBeUndefined();
    const manager = { on: () => undefined } as unknown as LockManager;
    await expect(
      createLockTelemetry(manager, resolveOpenTelemetry(undefined), missing),
    ).resolves.toBeNull();
    const required = createLockTelemetry(manager, resolveOpenTelemetry(true), missing);
    await expect(required).rejects.toBeInstanceOf(InvalidLockOptionsError);
    await expect(required).rejects.toThrow(
      'RedisLockModule option openTelemetry asks for OpenTelemetry, but @opentelemetry/api is not installed. Install it (npm install @opentelemetry/api), or leave the option out to use it only when present.',
    );
  });

  it('validates the option at bootstrap', () => {
    expect(resolveOpenTelemetry(undefined)).toEqual({ mode: 'auto', metrics: true, tracing: true });
    expect(resolveOpenTelemetry(false).mode).toBe('off');
    expect(resolveOpenTelemetry({ metrics: false, tracing: false }).mode).toBe('off');
    expect(resolveOpenTelemetry({ metrics: false })).toEqual({
      mode: 'required',
      metrics: false,
      tracing: true,
    });
    for (const bad of ['yes', 1, null, [], { traces: true }, { metrics: 'no' }]) {
      expect(() => resolveOpenTelemetry(bad)).toThrow(InvalidLockOptionsError);
    }
  });
});
