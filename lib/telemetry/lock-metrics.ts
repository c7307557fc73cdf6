import type { LockManager } from '../core/lock-manager.js';
import { ManagerListeners } from '../utils/manager-listeners.util.js';
import type {
  OpenTelemetryApi,
  OtelMeter,
  OtelObservableCallback,
} from './open-telemetry-api.interface.js';

/** Instrumentation scope of every metric and span of this library. @internal */
export const TELEMETRY_SCOPE = 'nestjs-redis-lock';

/** Bucket bounds (ms) for lock timings: a free lock in about a millisecond, waits up to a minute. */
const DURATION_BUCKETS_MS = [
  0.5, 1, 2.5, 5, 10, 25, 50, 100, 250, 500, 1_000, 2_500, 5_000, 10_000, 30_000, 60_000,
];

/**
 * The library's OpenTelemetry metrics, recorded from the manager's events (so every lock
 * counts: decorated methods, the service and the engine used directly).
 *
 * | Metric | Kind | Unit | Attributes |
 * | --- | --- | --- | --- |
 * | `redis_lock.acquire.duration` | histogram | ms | `lock.outcome`: acquired, held, timeout, aborted, error |
 * | `redis_lock.wait.duration` | histogram | ms | `lock.outcome`: acquired, timeout, aborted, error |
 * | `redis_lock.hold.duration` | histogram | ms | `lock.outcome`: released, lost, release_failed |
 * | `redis_lock.lost` | counter | {lock} | `lock.lost_reason`: expired, taken, unconfirmed, closed |
 * | `redis_lock.timeouts` | counter | {lock} | |
 * | `redis_lock.held` | observable up-down counter | {lock} | |
 *
 * Lock keys are never metric attributes (one time series per order id would ruin a metrics
 * backend); they are on the spans.
 * @internal
 */
export class LockMetrics {
  private readonly listeners: ManagerListeners;
  private readonly detachHeld: () => void;

  /**
   * Records the manager's locks with the meter of the application's meter provider, or does
   * nothing (undefined) when none was registered: the API then hands out a meter that records
   * nothing, and keeps it even if a provider is registered later (metrics have no proxy, unlike
   * traces). Listening anyway would cost every lock an event object for nothing.
   */
  static attach(api: OpenTelemetryApi, manager: LockManager): LockMetrics | undefined {
    const meter = api.metrics.getMeter(TELEMETRY_SCOPE);
    if (api.createNoopMeter !== undefined && meter === api.createNoopMeter()) return undefined;
    return new LockMetrics(meter, manager);
  }

  private constructor(meter: OtelMeter, manager: LockManager) {
    const { acquireDuration, waitDuration, holdDuration, lost, timeouts, held } =
      createInstruments(meter);
    const observeHeld: OtelObservableCallback = (result) => result.observe(manager.heldCount);
    held.addCallback(observeHeld);
    this.detachHeld = () => held.removeCallback(observeHeld);

    const events = new ManagerListeners(manager);
    this.listeners = events;
    events.on('acquired', ({ waitedMs }) =>
      acquireDuration.record(waitedMs, { 'lock.outcome': 'acquired' }),
    );
    events.on('acquireFailed', ({ waitedMs, reason }) => {
      acquireDuration.record(waitedMs, { 'lock.outcome': reason });
      if (reason === 'timeout') timeouts.add(1);
    });
    events.on('waitEnded', ({ waitedMs, outcome }) =>
      waitDuration.record(waitedMs, { 'lock.outcome': outcome }),
    );
    events.on('released', ({ heldMs }) =>
      holdDuration.record(heldMs, { 'lock.outcome': 'released' }),
    );
    events.on('releaseFailed', ({ heldMs }) =>
      holdDuration.record(heldMs, { 'lock.outcome': 'release_failed' }),
    );
    events.on('lost', ({ heldMs, error }) => {
      holdDuration.record(heldMs, { 'lock.outcome': 'lost' });
      lost.add(1, { 'lock.lost_reason': error.reason });
    });
  }

  /** Stops recording: removes the listeners and the `held` callback. */
  detach(): void {
    this.listeners.detach();
    this.detachHeld();
  }
}

/** The instruments of the table above. */
function createInstruments(meter: OtelMeter) {
  const advice = { explicitBucketBoundaries: DURATION_BUCKETS_MS };
  const duration = (name: string, description: string) =>
    meter.createHistogram(`redis_lock.${name}.duration`, { description, unit: 'ms', advice });
  const locks = { unit: '{lock}' };
  return {
    acquireDuration: duration(
      'acquire',
      'Time from an acquire call to its outcome (the lock, or giving up).',
    ),
    waitDuration: duration('wait', 'Time acquires spent waiting for a lock held by someone else.'),
    holdDuration: duration('hold', 'Time from the grant of a lock to its release or loss.'),
    lost: meter.createCounter('redis_lock.lost', {
      description: 'Locks lost while held (taken after their ttl, expired, unconfirmable, closed).',
      ...locks,
    }),
    timeouts: meter.createCounter('redis_lock.timeouts', {
      description: 'Acquires that gave up after waitTimeout because someone else held the lock.',
      ...locks,
    }),
    held: meter.createObservableUpDownCounter('redis_lock.held', {
      description: 'Locks this application holds right now.',
      ...locks,
    }),
  };
}
