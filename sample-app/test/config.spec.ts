import { readConfig } from '../src/config';
import { SampleConfigError } from '../src/sample-config.error';

const from = (env: Record<string, string>) => (name: string) => env[name];

describe("the sample app's settings", () => {
  it('has defaults for everything', () => {
    expect(readConfig(from({}))).toEqual({
      redisUrl: 'redis://127.0.0.1:6379',
      databaseUrl: undefined,
      databaseSchema: 'shop',
      keyPrefix: 'shop:',
      port: 3000,
      lockTtlMs: 10_000,
      paymentMs: 1,
      settleCron: '* * * * * *',
      settleMs: 300,
      saleEvents: false,
    });
  });

  it('refuses a value that cannot work, naming the variable and what it takes', () => {
    const refused: Array<[Record<string, string>, string, RegExp]> = [
      [{ LOCK_TTL_MS: 'soon' }, 'LOCK_TTL_MS', /whole number of milliseconds, at least 100/],
      [{ LOCK_TTL_MS: '50' }, 'LOCK_TTL_MS', /at least 100/],
      [{ PAYMENT_MS: '-1' }, 'PAYMENT_MS', /at least 0/],
      [{ PORT: '80.5' }, 'PORT', /whole number/],
      [{ DATABASE_SCHEMA: 'Shop' }, 'DATABASE_SCHEMA', /lower-case PostgreSQL identifier/],
      [{ SHOP_KEY_PREFIX: 'shop*' }, 'SHOP_KEY_PREFIX', /without spaces or the glob characters/],
      [{ SHOP_KEY_PREFIX: '' }, 'SHOP_KEY_PREFIX', /non-empty/],
      [{ SALE_EVENTS: 'yes' }, 'SALE_EVENTS', /`stdout`, or unset/],
    ];
    for (const [env, variable, message] of refused) {
      const error = (() => {
        try {
          readConfig(from(env));
        } catch (e) {
          return e;
        }
      })();
      expect(error).toBeInstanceOf(SampleConfigError);
      expect(error).toMatchObject({ variable, value: env[variable] });
      expect((error as Error).message).toMatch(message);
    }
  });
});
