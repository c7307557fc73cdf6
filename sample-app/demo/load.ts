import { ProgressBar } from './progress-bar';

/** What one purchase request came back with. */
export interface Outcome {
  /** The HTTP status; 0 when no answer came (the instance died or refused the connection). */
  readonly status: number;
  readonly sold: boolean;
  /** `sold-out`, or `stale-lock` when the fence refused the write of a holder that lost its lock. */
  readonly reason?: string;
  readonly orderId?: string;
  readonly ms: number;
}

export interface LoadOptions {
  /** The instances behind the pretend load balancer. */
  readonly urls: readonly string[];
  readonly path: string;
  readonly concurrency: number;
  /** Stop after this many requests, with a progress bar... */
  readonly requests?: number;
  readonly label?: string;
  /** ...or when this signal aborts (the requests in flight still finish). */
  readonly until?: AbortSignal;
}

/**
 * A pretend load balancer: each request goes to the instance with the fewest requests in
 * flight, as real balancers do, so a frozen instance stops getting new ones once its pending
 * requests pile up; an instance that refuses connections is taken out of the rotation.
 */
class Balancer {
  private readonly inFlight = new Map<string, number>();
  private readonly down = new Set<string>();
  private turn = 0;

  constructor(private readonly urls: readonly string[]) {
    for (const url of urls) this.inFlight.set(url, 0);
  }

  pick(): string {
    const up = this.urls.filter((url) => !this.down.has(url));
    const candidates = up.length > 0 ? up : this.urls;
    // Round-robin among the least busy, so an idle start spreads over every instance.
    const least = Math.min(...candidates.map((url) => this.inFlight.get(url)!));
    const tied = candidates.filter((url) => this.inFlight.get(url) === least);
    return tied[this.turn++ % tied.length]!;
  }

  started(url: string): void {
    this.inFlight.set(url, this.inFlight.get(url)! + 1);
  }

  ended(url: string, refused: boolean): void {
    this.inFlight.set(url, this.inFlight.get(url)! - 1);
    if (refused) this.down.add(url);
  }
}

/** Fires POSTs at the instances, `concurrency` at a time, until `requests` or `until`. */
export async function fire(
  options: LoadOptions,
): Promise<{ outcomes: Outcome[]; seconds: number }> {
  if ((options.requests === undefined) === (options.until === undefined)) {
    throw new Error('fire() needs either requests or until');
  }
  const outcomes: Outcome[] = [];
  const balancer = new Balancer(options.urls);
  const progress =
    options.requests === undefined
      ? undefined
      : new ProgressBar(options.label ?? '', options.requests);
  let sent = 0;
  const more = (): boolean =>
    options.requests !== undefined ? sent < options.requests : !options.until!.aborted;
  const started = performance.now();
  const worker = async (): Promise<void> => {
    while (more()) {
      sent++;
      const url = balancer.pick();
      balancer.started(url);
      const at = performance.now();
      let refused = false;
      try {
        const response = await fetch(`${url}${options.path}`, { method: 'POST' });
        const body = (await response.json().catch(() => ({}))) as {
          sold?: boolean;
          reason?: string;
          orderId?: string;
        };
        outcomes.push({
          status: response.status,
          sold: body.sold === true,
          reason: body.reason,
          orderId: body.orderId,
          ms: performance.now() - at,
        });
      } catch (error) {
        // Nobody listens there any more (the instance died): out of the rotation.
        refused = (error as { cause?: { code?: string } }).cause?.code === 'ECONNREFUSED';
        outcomes.push({ status: 0, sold: false, ms: performance.now() - at });
      } finally {
        balancer.ended(url, refused);
      }
      progress?.tick();
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, worker));
  progress?.done();
  return { outcomes, seconds: (performance.now() - started) / 1000 };
}

export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}
