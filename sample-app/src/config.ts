import { SampleConfigError } from './sample-config.error';

/** Settings of the sample app, from the environment. */
export interface SampleConfig {
  /** Where Redis is (`REDIS_URL`): the locks and, without `DATABASE_URL`, the shop's data. */
  readonly redisUrl: string;
  /**
   * PostgreSQL for the stock and the orders (`DATABASE_URL`); unset, they live in Redis. The
   * order ids, the cache and the cron bookkeeping stay in Redis either way.
   */
  readonly databaseUrl: string | undefined;
  /** The PostgreSQL schema of the shop's tables (`DATABASE_SCHEMA`, default `shop`). */
  readonly databaseSchema: string;
  /**
   * Prefix of every Redis key the shop writes, its locks included (`SHOP_KEY_PREFIX`, default
   * `shop:`): the demo gives each run its own, and deletes what is under it at the end.
   */
  readonly keyPrefix: string;
  /** HTTP port (`PORT`); 0 picks a free one. */
  readonly port: number;
  /** Time to live of the locks, in milliseconds (`LOCK_TTL_MS`, default 10000). */
  readonly lockTtlMs: number;
  /**
   * How long the payment step of a sale takes, in milliseconds (`PAYMENT_MS`, default 1): the
   * time between reading the stock and writing it back, the window a paused holder stops in.
   */
  readonly paymentMs: number;
  /** Cron expression of the settlement job (`SETTLE_CRON`, every second by default). */
  readonly settleCron: string;
  /** How long one settlement run takes, in milliseconds (`SETTLE_MS`, default 300). */
  readonly settleMs: number;
  /**
   * `SALE_EVENTS=stdout` prints every lock grant, release and loss and every stock read and
   * write as one `EVENT {json}` line: what the demo draws its timeline from. Off by default.
   */
  readonly saleEvents: boolean;
}

export const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';

/** Reads one environment variable; `process.env` by default, `ConfigService.get` in the app. */
export type ReadVariable = (name: string) => string | undefined;

function whole(
  env: ReadVariable,
  name: string,
  fallback: number,
  min: number,
  unit: string,
): number {
  const raw = env(name);
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isSafeInteger(value) || value < min) {
    throw new SampleConfigError(
      name,
      raw,
      `a whole number of ${unit}, at least ${min} (unset, it is ${fallback})`,
    );
  }
  return value;
}

/**
 * Reads and checks the settings; a value that cannot work is refused with the variable's name
 * and what it accepts, before anything connects.
 */
export function readConfig(env: ReadVariable = (name) => process.env[name]): SampleConfig {
  const databaseSchema = env('DATABASE_SCHEMA') || 'shop';
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(databaseSchema)) {
    throw new SampleConfigError(
      'DATABASE_SCHEMA',
      databaseSchema,
      'a lower-case PostgreSQL identifier: letters, digits and _, not starting with a digit, at most 63 characters',
    );
  }
  const keyPrefix = env('SHOP_KEY_PREFIX') ?? 'shop:';
  if (keyPrefix === '' || /[*?[\]\s]/.test(keyPrefix)) {
    throw new SampleConfigError(
      'SHOP_KEY_PREFIX',
      keyPrefix,
      'a non-empty key prefix without spaces or the glob characters * ? [ ] (the demo deletes its keys by prefix)',
    );
  }
  const saleEvents = env('SALE_EVENTS') ?? '';
  if (saleEvents !== '' && saleEvents !== 'stdout') {
    throw new SampleConfigError('SALE_EVENTS', saleEvents, '`stdout`, or unset for none');
  }
  return {
    redisUrl: env('REDIS_URL') || DEFAULT_REDIS_URL,
    databaseUrl: env('DATABASE_URL') || undefined,
    databaseSchema,
    keyPrefix,
    port: whole(env, 'PORT', 3000, 0, 'port'),
    lockTtlMs: whole(env, 'LOCK_TTL_MS', 10_000, 100, 'milliseconds'),
    paymentMs: whole(env, 'PAYMENT_MS', 1, 0, 'milliseconds'),
    settleCron: env('SETTLE_CRON') || '* * * * * *',
    settleMs: whole(env, 'SETTLE_MS', 300, 0, 'milliseconds'),
    saleEvents: saleEvents === 'stdout',
  };
}
