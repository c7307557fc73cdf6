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

// A fair lock's grant is announced on the grantee's manager's own channel of the lock, so the
// other managers waiting on it do not wake. The hub listens there as well as on the lock's
// channel, and counts what it hears there as the lock channel's.
describe('the wakeup hub: a manager’s own grant channel', () => {
  /** A transport whose subscriptions the test confirms one by one. */
  function pendingTransport() {
    const pending = new Map<string, () => void>();
    const unsubscribed: string[] = [];
    let onMessage: ((channel: string, message: string) => void) | undefined;
    let onReconnect: (() => void) | undefined;
    const transport: WakeupTransport = {
      subscribe: ([channel]) => new Promise<void>((resolve) => pending.set(channel!, resolve)),
      unsubscribe: (channels) => {
        unsubscribed.push(...channels);
        return Promise.resolve();
      },
      isReady: () => true,
      listen: (message, reconnected) => {
        onMessage = message;
        onReconnect = reconnected;
      },
      close: () => Promise.resolve(),
    };
    return {
      transport,
      unsubscribed,
      confirm: (channel: string) => pending.get(channel)!(),
      deliver: (channel: string, message: string) => onMessage!(channel, message),
      reconnect: () => onReconnect!(),
    };
  }

  it('hands out waiter ids that start with the hub id, which is hex, and never repeat', async () => {
    const hub = new WakeupHub(() => pendingTransport().transport);
    expect(hub.id).toMatch(/^[0-9a-f]{12}$/);
    const ids = Array.from({ length: 100 }, () => hub.nextWaiterId());
    expect(new Set(ids).size).toBe(100);
    for (const id of ids) expect(id.startsWith(`${hub.id}.`)).toBe(true);
    expect(new WakeupHub(() => pendingTransport().transport).id).not.toBe(hub.id);
    await hub.close();
  });

  it('is active and ready only once both subscriptions are confirmed', async () => {
    const fake = pendingTransport();
    const hub = new WakeupHub(() => fake.transport);
    const membership = hub.join('lock:a', 'lock:#queue:a#h1');
    let ready = false;
    void membership.ready().then(() => (ready = true));
    fake.confirm('lock:a');
    await Promise.resolve();
    await Promise.resolve();
    expect(membership.active).toBe(false);
    expect(ready).toBe(false);
    expect(hub.isListening('lock:a')).toBe(true);
    expect(hub.isListening('lock:a', 'lock:#queue:a#h1')).toBe(false);
    fake.confirm('lock:#queue:a#h1');
    await membership.ready();
    expect(membership.active).toBe(true);
    expect(hub.isListening('lock:a', 'lock:#queue:a#h1')).toBe(true);
    membership.leave();
    await hub.close();
  });

  it('delivers a grant heard on the grant channel to the waiter it names, and counts it on the lock', async () => {
    const fake = pendingTransport();
    const hub = new WakeupHub(() => fake.transport);
    const membership = hub.join('lock:a', 'lock:#queue:a#h1');
    fake.confirm('lock:a');
    fake.confirm('lock:#queue:a#h1');
    await membership.ready();
    const fences: number[] = [];
    const waited = membership.wait(60_000, undefined, 'h1.1', false, (fence) => fences.push(fence));
    fake.deliver('lock:#queue:a#h1', 'grant:h1.1:9');
    await expect(waited).resolves.toBe('granted');
    expect(fences).toEqual([9]);
    expect(membership.generation).toBe(1);
    // One heard while the waiter was mid-attempt is kept for it, as on the lock's channel.
    fake.deliver('lock:#queue:a#h1', 'grant:h1.2:10');
    expect(membership.claimGrant('h1.2')).toBe(10);
    membership.leave();
    await hub.close();
  });

  it('after the lock’s state was swept while its grant channel still subscribed, routes that channel to the new state', async () => {
    jest.useFakeTimers();
    try {
      const fake = pendingTransport();
      const hub = new WakeupHub(() => fake.transport, 1_000);
      const first = hub.join('lock:a', 'lock:#queue:a#h1');
      fake.confirm('lock:a');
      first.leave();
      // The lock's state goes; the grant channel's, its SUBSCRIBE still unanswered, stays.
      await jest.advanceTimersByTimeAsync(1_000);
      expect(fake.unsubscribed).toEqual(['lock:a']);
      const second = hub.join('lock:a', 'lock:#queue:a#h1');
      fake.confirm('lock:a');
      fake.confirm('lock:#queue:a#h1');
      await second.ready();
      const waited = second.wait(60_000, undefined, 'h1.3', false, () => undefined);
      fake.deliver('lock:#queue:a#h1', 'grant:h1.3:11');
      await expect(waited).resolves.toBe('granted');
      second.leave();
      await hub.close();
    } finally {
      jest.useRealTimers();
    }
  });
});
