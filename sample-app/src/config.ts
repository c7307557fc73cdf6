/** Settings of the sample app, from the environment. */
export interface SampleConfig {
  /** Where Redis is: the locks and the shop's data share it. */
  readonly redisUrl: string;
  /** HTTP port; 0 picks a free one. */
  readonly port: number;
  /** Cron expression of the settlement job (every second by default, for the demo). */
  readonly settleCron: string;
  /** How long one settlement run takes, in milliseconds. */
  readonly settleMs: number;
}

export const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';

export function readConfig(env: NodeJS.ProcessEnv = process.env): SampleConfig {
  return {
    redisUrl: env.REDIS_URL || DEFAULT_REDIS_URL,
    port: Number(env.PORT ?? 3000),
    settleCron: env.SETTLE_CRON || '* * * * * *',
    settleMs: Number(env.SETTLE_MS ?? 300),
  };
}
