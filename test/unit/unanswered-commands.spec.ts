import { UnansweredCommands } from '../../lib/core/quorum/unanswered-commands.js';

/** A command whose answer the test gives. */
function pending() {
  let answer: (value: string) => void = () => undefined;
  let fail: (error: Error) => void = () => undefined;
  const promise = new Promise<string>((resolve, reject) => {
    answer = resolve;
    fail = reject;
  });
  return { promise, answer, fail };
}

const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('UnansweredCommands', () => {
  it('counts a token as unanswered from the sending of its first command to the answer of its last', async () => {
    const unanswered = new UnansweredCommands();
    const acquire = pending();
    const release = pending();
    expect(unanswered.has('t1')).toBe(false);
    const tracked = unanswered.track('t1', acquire.promise);
    void unanswered.track('t1', release.promise);
    expect(unanswered.has('t1')).toBe(true);
    expect(unanswered.has('t2')).toBe(false);
    acquire.answer('granted');
    // The command is handed back as it was.
    await expect(tracked).resolves.toBe('granted');
    await settle();
    expect(unanswered.has('t1')).toBe(true);
    release.fail(new Error('connection lost'));
    await settle();
    // An error is an answer too: the command will not run later.
    expect(unanswered.has('t1')).toBe(false);
  });

  it('counts a batched command for every token it carries', async () => {
    const unanswered = new UnansweredCommands();
    const batch = pending();
    void unanswered.track(['t1', 't2'], batch.promise);
    expect([unanswered.has('t1'), unanswered.has('t2'), unanswered.has('t3')]).toEqual([
      true,
      true,
      false,
    ]);
    batch.answer('ok');
    await settle();
    expect([unanswered.has('t1'), unanswered.has('t2')]).toEqual([false, false]);
  });

  it('tells when a token has nothing unanswered left, at once when it has nothing', async () => {
    const unanswered = new UnansweredCommands();
    const seen: string[] = [];
    void unanswered.idle('t1').then(() => seen.push('idle at once'));
    await settle();
    expect(seen).toEqual(['idle at once']);
    const acquire = pending();
    const release = pending();
    void unanswered.track('t1', acquire.promise);
    void unanswered.track('t1', release.promise);
    void unanswered.idle('t1').then(() => seen.push('first waiter'));
    void unanswered.idle('t1').then(() => seen.push('second waiter'));
    acquire.answer('refused');
    await settle();
    expect(seen).toEqual(['idle at once']);
    release.answer('released');
    await settle();
    expect(seen).toEqual(['idle at once', 'first waiter', 'second waiter']);
  });
});
