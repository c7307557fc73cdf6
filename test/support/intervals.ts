/**
 * The most intervals open at one instant (times in ns, monotonic). One that ends when another
 * starts does not overlap it: a hand-off is not two holders at once.
 */
export function mostAtOnce(intervals: Iterable<readonly [start: bigint, end: bigint]>): number {
  const points: Array<[bigint, number]> = [];
  for (const [start, end] of intervals) points.push([start, 1], [end, -1]);
  points.sort(([a, da], [b, db]) => (a < b ? -1 : a > b ? 1 : da - db));
  let current = 0;
  let max = 0;
  for (const [, delta] of points) {
    current += delta;
    max = Math.max(max, current);
  }
  return max;
}
