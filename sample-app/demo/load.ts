/** What one purchase request came back with. */
export interface Outcome {
  readonly status: number;
  readonly sold: boolean;
  readonly orderId?: string;
  readonly ms: number;
}

export interface LoadOptions {
  readonly urls: readonly string[];
  readonly path: string;
  readonly requests: number;
  readonly concurrency: number;
  readonly label: string;
}

/** Fires `requests` POSTs spread over the instances, `concurrency` at a time, with a progress bar. */
export async function fire(
  options: LoadOptions,
): Promise<{ outcomes: Outcome[]; seconds: number }> {
  const outcomes: Outcome[] = [];
  const progress = new ProgressBar(options.label, options.requests);
  let next = 0;
  const started = performance.now();
  const worker = async (): Promise<void> => {
    while (next < options.requests) {
      const i = next++;
      const url = `${options.urls[i % options.urls.length]}${options.path}`;
      const sent = performance.now();
      try {
        const response = await fetch(url, { method: 'POST' });
        const body = (await response.json().catch(() => ({}))) as {
          sold?: boolean;
          orderId?: string;
        };
        outcomes.push({
          status: response.status,
          sold: body.sold === true,
          orderId: body.orderId,
          ms: performance.now() - sent,
        });
      } catch {
        outcomes.push({ status: 0, sold: false, ms: performance.now() - sent });
      }
      progress.tick();
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, worker));
  progress.done();
  return { outcomes, seconds: (performance.now() - started) / 1000 };
}

class ProgressBar {
  private count = 0;
  private lastDrawn = -1;
  private readonly tty = process.stdout.isTTY === true;

  constructor(
    private readonly label: string,
    private readonly total: number,
  ) {}

  tick(): void {
    this.count++;
    const percent = Math.floor((this.count / this.total) * 100);
    if (this.tty ? percent !== this.lastDrawn : percent >= this.lastDrawn + 25) {
      this.lastDrawn = percent;
      this.draw(percent);
    }
  }

  done(): void {
    if (this.tty) process.stdout.write('\n');
  }

  private draw(percent: number): void {
    const width = 30;
    const filled = Math.round((percent / 100) * width);
    const bar = `${'#'.repeat(filled)}${'.'.repeat(width - filled)}`;
    const line = `  ${this.label.padEnd(10)} [${bar}] ${String(this.count).padStart(5)}/${this.total}`;
    if (this.tty) process.stdout.write(`\r${line}`);
    else process.stdout.write(`${line}\n`);
  }
}

export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}
