import { ProgressBar } from '../demo/progress-bar';

function collector(isTTY: boolean): { isTTY: boolean; text: string; write(t: string): void } {
  return {
    isTTY,
    text: '',
    write(t: string) {
      this.text += t;
    },
  };
}

describe("the demo's progress bar", () => {
  it('ends on the total in a log: one line per quarter, the last one full', () => {
    const out = collector(false);
    const bar = new ProgressBar('lock on', 3_000, out);
    for (let i = 0; i < 3_000; i++) bar.tick();
    bar.done();
    const lines = out.text.trimEnd().split('\n');
    expect(lines.map((l) => l.trim().split(/\s+/).at(-1))).toEqual([
      '750/3000',
      '1500/3000',
      '2250/3000',
      '3000/3000',
    ]);
    expect(lines.at(-1)).toContain(`[${'#'.repeat(30)}]`);
  });

  it('ends on the total on a terminal, redrawn in place, then a newline', () => {
    const out = collector(true);
    const bar = new ProgressBar('lock off', 600, out);
    for (let i = 0; i < 600; i++) bar.tick();
    bar.done();
    const frames = out.text.split('\r').filter(Boolean);
    // 0 % to 100 %.
    expect(frames).toHaveLength(101);
    expect(frames.at(-1)).toMatch(/ 600\/600\n$/);
  });

  it('shows where a run stopped short of its total', () => {
    const out = collector(false);
    const bar = new ProgressBar('x', 100, out);
    for (let i = 0; i < 10; i++) bar.tick();
    bar.done();
    expect(out.text.trimEnd().split('\n').at(-1)).toMatch(/ 10\/100$/);
  });
});
