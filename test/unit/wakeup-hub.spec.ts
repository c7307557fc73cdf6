import type { WakeupTransport } from '../../lib/core/backend/lock-backend.interface.js';
import { WakeupHub } from '../../lib/core/wakeup/wakeup-hub.js';

/** A transport that subscribes at once and lets the test deliver announcements. */
function fakeTransport(): {
  transport: WakeupTransport;
  deliver(channel: string, message: string): void;
} {
  let onMessage: ((channel: string, message: string) => void) | undefined;
  const transport: WakeupTransport = {
    subscribe: () => Promise.resolve(),
    unsubscribe: () => Promise.resolve(),
    isReady: () => true,
    listen: (handler) => {
      onMessage = handler;
    },
    close: () => Promise.resolve(),
  };
  return { transport, deliver: (channel, message) => onMessage!(channel, message) };
}

// A fair lock's release names the waiter it hands the lock to. A waiter whose attempt is still
// on its way back is not waiting yet: the hub keeps its grant so that it need not send another
// attempt to learn of it.
describe('the wakeup hub: grants to a waiter that is not waiting yet', () => {
  let hub: WakeupHub;
  let deliver: (channel: string, message: string) => void;

  beforeEach(() => {
    const fake = fakeTransport();
    deliver = fake.deliver;
    hub = new WakeupHub(() => fake.transport);
  });
  afterEach(() => hub.close());

  it('keeps a grant for a waiter that is not waiting, to be claimed once', async () => {
    const membership = hub.join('lock:a');
    await membership.ready();
    deliver('lock:a', 'grant:w1:42');
    expect(membership.claimGrant('w2')).toBeUndefined();
    expect(membership.claimGrant('w1')).toBe(42);
    expect(membership.claimGrant('w1')).toBeUndefined();
    membership.leave();
  });

  it('hands a grant straight to the waiter it names when that one waits, keeping nothing', async () => {
    const membership = hub.join('lock:a');
    await membership.ready();
    const fences: number[] = [];
    const waited = membership.wait(60_000, undefined, 'w1', false, (fence) => fences.push(fence));
    deliver('lock:a', 'grant:w1:7');
    await expect(waited).resolves.toBe('granted');
    expect(fences).toEqual([7]);
    expect(membership.claimGrant('w1')).toBeUndefined();
    membership.leave();
  });

  it('keeps at most 64 unclaimed grants per channel, dropping the oldest', async () => {
    const membership = hub.join('lock:a');
    await membership.ready();
    for (let i = 0; i < 65; i++) deliver('lock:a', `grant:w${i}:${i + 1}`);
    expect(membership.claimGrant('w0')).toBeUndefined();
    expect(membership.claimGrant('w1')).toBe(2);
    expect(membership.claimGrant('w64')).toBe(65);
    membership.leave();
  });

  it('counts reconnects, so a caller can tell that announcements may have been lost', async () => {
    let onReconnect: (() => void) | undefined;
    const transport: WakeupTransport = {
      subscribe: () => Promise.resolve(),
      unsubscribe: () => Promise.resolve(),
      isReady: () => true,
      listen: (_, reconnected) => {
        onReconnect = reconnected;
      },
      close: () => Promise.resolve(),
    };
    const counted = new WakeupHub(() => transport);
    const membership = counted.join('lock:a');
    await membership.ready();
    expect(counted.reconnects).toBe(0);
    onReconnect!();
    expect(counted.reconnects).toBe(1);
    membership.leave();
    await counted.close();
  });
});
