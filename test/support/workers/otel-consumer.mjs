// Boots a Nest application on one build of the compiled library (dist/cjs or dist/esm) with the
// OpenTelemetry SDK registered, takes a lock through the service, and prints one JSON line with
// what the SDK recorded: proof that the lazy import of @opentelemetry/api works in that build.
// Usage: node otel-consumer.mjs <cjs|esm> <redis url>
import 'reflect-metadata';
import process from 'node:process';
import { URL } from 'node:url';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { metrics, trace } from '@opentelemetry/api';
import {
  AggregationTemporality,
  InMemoryMetricExporter,
  MeterProvider,
  PeriodicExportingMetricReader,
} from '@opentelemetry/sdk-metrics';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';

const [build, url] = process.argv.slice(2);
const library = await import(new URL(`../../../dist/${build}/index.js`, import.meta.url).href);

const metricExporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
const reader = new PeriodicExportingMetricReader({
  exporter: metricExporter,
  exportIntervalMillis: 3_600_000,
});
const meterProvider = new MeterProvider({ readers: [reader] });
metrics.setGlobalMeterProvider(meterProvider);
const spans = new InMemorySpanExporter();
const tracerProvider = new BasicTracerProvider({
  spanProcessors: [new SimpleSpanProcessor(spans)],
});
trace.setGlobalTracerProvider(tracerProvider);

class AppModule {}
Module({ imports: [library.RedisLockModule.forRoot({ url })] })(AppModule);

const app = await NestFactory.createApplicationContext(AppModule, { logger: false });
const locks = app.get(library.RedisLockService);
const fencingToken = await locks.withLock(`otel:${build}`, (lock) => lock.fencingToken);
await app.close();

await reader.forceFlush();
const recorded = metricExporter
  .getMetrics()
  .at(-1)
  .scopeMetrics.filter((scope) => scope.scope.name === 'nestjs-redis-lock')
  .flatMap((scope) => scope.metrics);
const acquired = recorded
  .find((m) => m.descriptor.name === 'redis_lock.acquire.duration')
  ?.dataPoints.find((p) => p.attributes['lock.outcome'] === 'acquired')?.value.count;
const span = spans.getFinishedSpans().find((s) => s.name === 'redis_lock.hold');
await meterProvider.shutdown();
await tracerProvider.shutdown();

process.stdout.write(
  `${JSON.stringify({
    acquired,
    span: span && {
      key: span.attributes['lock.key'],
      fencingToken: span.attributes['lock.fencing_token'] === fencingToken,
      outcome: span.attributes['lock.outcome'],
    },
  })}\n`,
);
