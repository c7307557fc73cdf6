import type { EventEmitter } from 'node:events';
import { emitSafely } from './emit-safely.util.js';

/**
 * Once per manager: Redis refused the subscriptions to release announcements, so waiters poll.
 * Told to the manager's `warning` listeners, or as a process warning when it has none.
 * @internal
 */
export function warnPubSubDenied(events: EventEmitter, channelPattern: string, error: Error): void {
  const message =
    `Redis refused to subscribe to lock release announcements (${error.message}): waiters fall back to polling, which is slower and sends more commands. ` +
    `Grant the connection's ACL user the lock channels and the pub/sub commands, for example \`ACL SETUSER <user> &${channelPattern} +subscribe +publish\` ` +
    '(+ssubscribe +spublish on a Cluster), or &* for every channel.';
  if (events.listenerCount('warning') > 0) {
    emitSafely(events, 'warning', { code: 'pubsub-denied', message, error });
  } else {
    process.emitWarning(message, { code: 'REDIS_LOCK_PUBSUB_DENIED' });
  }
}
