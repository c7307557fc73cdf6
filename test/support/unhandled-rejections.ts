/**
 * Records the promise rejections nobody handled while the calling describe block runs, for the
 * suite to expect none after each test: where servers die, freeze or fail over, the library's
 * background work (renewals, subscriptions, releases) is where a forgotten rejection would hide.
 * Call it before the block's own beforeAll hooks, so that their work is watched too.
 */
export function recordUnhandledRejections(): readonly unknown[] {
  const seen: unknown[] = [];
  const record = (reason: unknown): void => void seen.push(reason);
  beforeAll(() => {
    process.on('unhandledRejection', record);
  });
  afterAll(() => {
    process.off('unhandledRejection', record);
  });
  return seen;
}
