import type { Entry } from './journal';

/** One instance's row in the picture. */
export interface Lane {
  readonly name: string;
  readonly pid: number;
}

/** A time the instance held (or believed it held) the stock lock. */
export interface Hold {
  readonly lane: string;
  readonly token: number;
  readonly from: number;
  readonly to: number;
  /** How it ended: released, lost (found out after a pause), or the holder was killed. */
  readonly end: 'released' | 'lost' | 'killed' | 'open';
}

export interface PauseMark {
  readonly lane: string;
  /** SIGSTOP and SIGCONT, as the demo sent them. */
  readonly from: number;
  readonly to: number;
  readonly token: number;
  /** The stock it had read, and would write back minus one. */
  readonly stockRead: number;
}

export interface TakeoverMark {
  readonly lane: string;
  readonly at: number;
  readonly token: number;
}

export interface KillMark {
  readonly lane: string;
  readonly at: number;
  /** The token it held, when it died holding the lock. */
  readonly token?: number;
  /** Whether it died between reading and writing the stock. */
  readonly midSale: boolean;
}

export interface StaleWriteMark {
  readonly lane: string;
  readonly at: number;
  readonly token: number;
  readonly accepted: boolean;
  /** The token the stock had accepted last, when it refused. */
  readonly lastToken?: number;
  readonly stockBefore: number;
  readonly stockAfter: number;
}

/** Everything the picture shows of one fault run. */
export interface TimelineRun {
  readonly title: string;
  readonly fencing: boolean;
  readonly start: number;
  readonly end: number;
  readonly ttlMs: number;
  readonly initialStock: number;
  readonly oversold: number;
  readonly lanes: readonly Lane[];
  readonly holds: readonly Hold[];
  readonly pause: PauseMark;
  /** Who took the lock over while the paused holder slept. */
  readonly takeover: TakeoverMark;
  readonly kill: KillMark;
  /** Who took the lock over once the killed holder's lease ran out. */
  readonly afterKill: TakeoverMark;
  readonly staleWrites: readonly StaleWriteMark[];
  /** The stock after each accepted write, from the initial stock on. */
  readonly stock: ReadonlyArray<{ readonly t: number; readonly stock: number }>;
}

/** The holds of the stock lock, pairing each grant with its release or loss. */
export function holdsOf(
  entries: readonly Entry[],
  productId: string,
  kill: KillMark,
  end: number,
): Hold[] {
  const key = `stock:${productId}`;
  const holds: Hold[] = [];
  for (const grant of entries) {
    if (grant.type !== 'acquired' || grant.key !== key) continue;
    const over = entries.find(
      (e) =>
        (e.type === 'released' || e.type === 'lost') &&
        e.key === key &&
        e.instance === grant.instance &&
        e.token === grant.token,
    );
    if (over && (over.type === 'released' || over.type === 'lost')) {
      holds.push({
        lane: grant.instance,
        token: grant.token,
        from: grant.t,
        to: over.t,
        end: over.type,
      });
    } else if (grant.instance === kill.lane) {
      holds.push({
        lane: grant.instance,
        token: grant.token,
        from: grant.t,
        to: kill.at,
        end: 'killed',
      });
    } else {
      holds.push({ lane: grant.instance, token: grant.token, from: grant.t, to: end, end: 'open' });
    }
  }
  return holds;
}

/** The stock level over time: the initial stock, then what each accepted write left. */
export function stockLine(
  entries: readonly Entry[],
  productId: string,
  start: number,
  initialStock: number,
): Array<{ t: number; stock: number }> {
  const line = [{ t: start, stock: initialStock }];
  for (const e of entries) {
    if (e.type === 'write' && e.productId === productId && e.accepted) {
      line.push({ t: e.t, stock: e.stockAfter });
    }
  }
  return line;
}
