import { LockAbortedError } from '../core/errors/lock-aborted.error.js';
import { LockLostError } from '../core/errors/lock-lost.error.js';
import { LockTimeoutError } from '../core/errors/lock-timeout.error.js';
import type { Lease } from '../core/lease.js';
import type { Lock } from '../core/lock.js';
import type { LockKey } from '../core/lock-manager.js';
import { monotonicNow } from '../core/util/clock.util.js';
import type { LockEntry } from '../service/lock-entry.interface.js';
import { TELEMETRY_SCOPE } from './lock-metrics.js';
import {
  OTEL_SPAN_KIND_INTERNAL,
  OTEL_STATUS_ERROR,
  type OpenTelemetryApi,
  type OtelContext,
  type OtelSpan,
  type OtelTracer,
} from './open-telemetry-api.interface.js';

/** The span id of the API's invalid span context: a span that is no span. */
const INVALID_SPAN_ID = '0000000000000000';

/** Name of the span around each locked call: the wait, then the hold. @internal */
export const LOCK_SPAN_NAME = 'redis_lock.hold';

/**
 * `lock.outcome` of a span: `released` (held, then released), `reentered` (the call chain
 * already held it), `lost` (lost while held), `timeout` (held by someone else until
 * `waitTimeout`), `aborted`, `error` (Redis failed, or the key was refused).
 * @internal
 */
export type LockSpanOutcome = 'released' | 'reentered' | 'lost' | 'timeout' | 'aborted' | 'error';

/**
 * One span per locked call (`@DistributedLock` methods and `withLock`), from the moment the call
 * asks for the lock until the lock is released: the wait and the hold. The method runs inside
 * it, so what it traces (queries, HTTP calls) nests under it; its attributes are `lock.key`,
 * `lock.kind` (`lock`, `read-lock`, `write-lock`, `permit`), `lock.fencing_token` (locks and
 * write locks), `lock.wait_ms` and `lock.outcome`.
 * @internal
 */
export class LockTracing {
  private readonly tracer: OtelTracer;

  constructor(private readonly api: OpenTelemetryApi) {
    this.tracer = api.trace.getTracer(TELEMETRY_SCOPE);
  }

  /** Runs `enter` inside a new span and returns an entry that ends the span at its exit. */
  trace(key: LockKey, enter: () => Promise<LockEntry>): Promise<LockEntry> {
    const parent = this.api.context.active();
    const span = this.tracer.startSpan(
      LOCK_SPAN_NAME,
      { kind: OTEL_SPAN_KIND_INTERNAL, attributes: { 'lock.key': keyName(key) } },
      parent,
    );
    // No tracer provider registered (the API then answers with its parent's identity, or none;
    // the tracer still follows a provider registered later, so this is asked on every call):
    // a span that records nothing and carries nothing new is left out, and with it the
    // attributes, the context and the wrapper (about 5 us of a locked call).
    if (!span.isRecording() && span.spanContext().spanId === this.parentSpanId(parent)) {
      span.end();
      return enter();
    }
    return this.traced(parent, span, enter);
  }

  private parentSpanId(parent: OtelContext): string {
    return this.api.trace.getSpanContext(parent)?.spanId ?? INVALID_SPAN_ID;
  }

  private async traced(
    parent: OtelContext,
    span: OtelSpan,
    enter: () => Promise<LockEntry>,
  ): Promise<LockEntry> {
    const startedAt = monotonicNow();
    let entry: LockEntry;
    try {
      entry = await enter();
    } catch (error) {
      const outcome: LockSpanOutcome =
        error instanceof LockTimeoutError
          ? 'timeout'
          : error instanceof LockAbortedError
            ? 'aborted'
            : 'error';
      span.setAttribute('lock.outcome', outcome);
      span.setAttribute('lock.wait_ms', Math.round(monotonicNow() - startedAt));
      // Someone else holding the lock is the lock working, not a failure of this call.
      if (outcome === 'error') fail(span, error);
      span.end();
      throw error;
    }
    const { lease } = entry;
    span.setAttribute('lock.kind', lease.kind);
    // Read locks and semaphore permits carry no fencing token.
    const fencingToken =
      lease.kind === 'lock' || lease.kind === 'write-lock' ? (lease as Lock).fencingToken : 0;
    if (fencingToken) span.setAttribute('lock.fencing_token', fencingToken);
    span.setAttribute('lock.wait_ms', Math.round(monotonicNow() - startedAt));
    return new TracedEntry(this.api, entry, span, this.api.trace.setSpan(parent, span));
  }
}

/** An entry whose work runs in the lock's span, and whose exit ends it. */
class TracedEntry implements LockEntry {
  private exiting: Promise<void> | undefined;

  constructor(
    private readonly api: OpenTelemetryApi,
    private readonly inner: LockEntry,
    private readonly span: OtelSpan,
    private readonly context: OtelContext,
  ) {}

  get lease(): Lease {
    return this.inner.lease;
  }

  get owns(): boolean {
    return this.inner.owns;
  }

  get holding(): string {
    return this.inner.holding;
  }

  run<T>(fn: () => T): T {
    return this.api.context.with(this.context, () => {
      let result: T;
      try {
        result = this.inner.run(fn);
      } catch (error) {
        fail(this.span, error);
        throw error;
      }
      if (isThenable(result)) {
        // Observes the method's failure without changing what the caller gets.
        result.then(undefined, (error: unknown) => fail(this.span, error));
      }
      return result;
    });
  }

  exit(): Promise<void> {
    // The Observable path may exit twice (completion, then unsubscription): one end.
    this.exiting ??= this.end();
    return this.exiting;
  }

  finish(): Promise<LockLostError | undefined> {
    return this.exit().then(
      () => undefined,
      (error: unknown) => (error instanceof LockLostError ? error : undefined),
    );
  }

  private async end(): Promise<void> {
    let outcome: LockSpanOutcome = this.inner.owns ? 'released' : 'reentered';
    try {
      await this.inner.exit();
    } catch (error) {
      outcome = error instanceof LockLostError ? 'lost' : 'error';
      fail(this.span, error);
      throw error;
    } finally {
      this.span.setAttribute('lock.outcome', outcome);
      this.span.end();
    }
  }
}

function fail(span: OtelSpan, error: unknown): void {
  if (error instanceof Error) span.recordException(error);
  span.setStatus({
    code: OTEL_STATUS_ERROR,
    message: error instanceof Error ? error.message : String(error),
  });
}

function keyName(key: LockKey): string {
  return typeof key === 'string' ? key : [...new Set(key)].sort().join(' + ');
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    value !== null &&
    (typeof value === 'object' || typeof value === 'function') &&
    typeof (value as { then?: unknown }).then === 'function'
  );
}
