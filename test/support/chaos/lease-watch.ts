// What the holder of one lease believes, sampled over time: the oracle's raw material.
import type * as Core from '../../../lib/core/index.js';
import { type LeaseRecord, machineNow } from './history.js';

/**
 * One lease handed to an actor, watched until its holder no longer believes it holds it.
 *
 * The holder's critical section ends where it gives the lease up (it calls `release()`, or its
 * `withLock` or `withPermit` work returns): from there until that release settles, the lease counts as not
 * believed whatever `isHeld` says, as the holder no longer acts on it. Once the release settled,
 * `isHeld` counts again (a lease still "held" after its release is a belief like any other).
 */
export class LeaseWatch {
  /** Set once the holder is done with it (release settled, or its work returned). */
  done = false;
  /** Between giving the lease up and that release settling. */
  private givenUp = false;

  constructor(
    readonly lock: Core.Lease,
    readonly record: LeaseRecord,
  ) {}

  /** Records what the holder believes now, if that changed. */
  observe(): void {
    const at = machineNow();
    const remaining = this.givenUp ? 0 : this.lock.remainingTime;
    const until = remaining > 0 ? at + remaining : at;
    const observations = this.record.observations;
    const last = observations[observations.length - 1];
    if (last) {
      const believed = last[1] > last[0];
      if (!believed && remaining <= 0) return;
      if (believed && remaining > 0 && Math.abs(last[1] - until) < 0.05) return;
    }
    observations.push([at, until]);
  }

  /** The holder gives the lease up (it is about to call release(), or its work returned). */
  giveUp(): void {
    this.observe();
    this.givenUp = true;
    this.observe();
  }

  /** The release settled: from now on `isHeld` is the belief again. */
  settled(): void {
    this.givenUp = false;
    this.observe();
  }

  get believes(): boolean {
    return !this.givenUp && this.lock.remainingTime > 0;
  }
}
