import type { LockManagerEvents } from '../core/interfaces/lock-manager-events.interface.js';
import type { LockManager } from '../core/lock-manager.js';

/** The one argument every event of the manager carries. @internal */
export type ManagerEventPayload<E extends keyof LockManagerEvents> = LockManagerEvents[E][0];

/** The manager as an emitter of any event name: what a listener keyed by a generic name needs. */
interface UntypedEmitter {
  on(event: string, listener: (payload: never) => void): unknown;
  off(event: string, listener: (payload: never) => void): unknown;
}

/**
 * Listeners on a manager's events, removed all at once by `detach()` (the module's logger and
 * metrics stop with the application, the manager may outlive it).
 * @internal
 */
export class ManagerListeners {
  private readonly detachers: Array<() => void> = [];

  constructor(private readonly manager: LockManager) {}

  on<E extends keyof LockManagerEvents>(
    event: E,
    listener: (payload: ManagerEventPayload<E>) => void,
  ): void {
    // Node's typed EventEmitter cannot check a listener against an event name that is itself a
    // type parameter; `ManagerEventPayload` keeps the pairing checked for the callers.
    const emitter = this.manager as unknown as UntypedEmitter;
    emitter.on(event, listener);
    this.detachers.push(() => emitter.off(event, listener));
  }

  detach(): void {
    for (const detach of this.detachers.splice(0)) detach();
  }
}
