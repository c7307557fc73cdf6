/** Where the bar is drawn: stdout, or anything with `write` (tests pass a collector). */
export interface BarOutput {
  readonly isTTY?: boolean;
  write(text: string): unknown;
}

/**
 * A progress bar: redrawn in place on a terminal; in a log (CI, a pipe), one line per quarter
 * and always one at the end, so the last line shows the total.
 */
export class ProgressBar {
  private count = 0;
  private lastDrawn = -1;
  private readonly tty: boolean;

  constructor(
    private readonly label: string,
    private readonly total: number,
    private readonly out: BarOutput = process.stdout,
  ) {
    this.tty = out.isTTY === true;
  }

  tick(): void {
    this.count++;
    const percent = Math.floor((this.count / this.total) * 100);
    const quarter = (p: number): number => Math.floor(Math.max(p, 0) / 25);
    if (this.tty ? percent !== this.lastDrawn : quarter(percent) > quarter(this.lastDrawn)) {
      this.draw(percent);
    }
  }

  /** Draws the final count (unless it is already on screen) and ends the line. */
  done(): void {
    const percent = Math.floor((this.count / this.total) * 100);
    if (percent !== this.lastDrawn) this.draw(percent);
    if (this.tty) this.out.write('\n');
  }

  private draw(percent: number): void {
    this.lastDrawn = percent;
    const width = 30;
    const filled = Math.min(width, Math.round((percent / 100) * width));
    const bar = `${'#'.repeat(filled)}${'.'.repeat(width - filled)}`;
    const line = `  ${this.label.padEnd(10)} [${bar}] ${String(this.count).padStart(5)}/${this.total}`;
    this.out.write(this.tty ? `\r${line}` : `${line}\n`);
  }
}
