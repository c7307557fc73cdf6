/**
 * The part of `@opentelemetry/api` this library uses, described structurally so that no
 * declaration this package ships names the optional peer dependency: an application without it
 * type-checks and runs as if it did not exist. The tests assign the real API to this type, so a
 * mismatch fails to compile there.
 * @internal
 */
export interface OpenTelemetryApi {
  readonly metrics: { getMeter(name: string, version?: string): OtelMeter };
  readonly trace: {
    getTracer(name: string, version?: string): OtelTracer;
    setSpan(context: OtelContext, span: OtelSpan): OtelContext;
    getSpanContext(context: OtelContext): OtelSpanContext | undefined;
  };
  /** The meter the API hands out when no meter provider is registered (API 1.3+). */
  readonly createNoopMeter?: () => OtelMeter;
  readonly context: {
    active(): OtelContext;
    with<T>(context: OtelContext, fn: () => T): T;
  };
}

/** @internal */
export type OtelAttributes = Record<string, string | number | boolean>;

/** An opaque OpenTelemetry context. @internal */
export type OtelContext = object;

/** @internal */
export interface OtelMeter {
  createHistogram(
    name: string,
    options?: {
      description?: string;
      unit?: string;
      advice?: { explicitBucketBoundaries?: number[] };
    },
  ): { record(value: number, attributes?: OtelAttributes): void };
  createCounter(
    name: string,
    options?: { description?: string; unit?: string },
  ): { add(value: number, attributes?: OtelAttributes): void };
  createObservableUpDownCounter(
    name: string,
    options?: { description?: string; unit?: string },
  ): OtelObservable;
}

/** @internal */
export interface OtelObservable {
  addCallback(callback: OtelObservableCallback): void;
  removeCallback(callback: OtelObservableCallback): void;
}

/** @internal */
export type OtelObservableCallback = (result: {
  observe(value: number, attributes?: OtelAttributes): void;
}) => void;

/** @internal */
export interface OtelTracer {
  startSpan(
    name: string,
    options?: { kind?: number; attributes?: OtelAttributes },
    context?: OtelContext,
  ): OtelSpan;
}

/** Which trace and span a span is (`spanId` is all zeros when invalid). @internal */
export interface OtelSpanContext {
  readonly traceId: string;
  readonly spanId: string;
}

/** @internal */
export interface OtelSpan {
  spanContext(): OtelSpanContext;
  isRecording(): boolean;
  setAttribute(key: string, value: string | number | boolean): unknown;
  setStatus(status: { code: number; message?: string }): unknown;
  recordException(exception: Error | string): void;
  end(): void;
}

/** `SpanKind.INTERNAL` and `SpanStatusCode.ERROR` of the API (stable values). @internal */
export const OTEL_SPAN_KIND_INTERNAL = 0;
/** @internal */
export const OTEL_STATUS_ERROR = 2;
