/**
 * The order in which the contenders run in round `round`: the list rotated by one place per
 * round. Each contender takes every position in turn, so a slow moment of the shared machine, or
 * a warm or cold start of a round, does not always hit the same library.
 */
export function rotation<T>(items: readonly T[], round: number): T[] {
  const n = items.length;
  if (n === 0) return [];
  const shift = round % n;
  return [...items.slice(shift), ...items.slice(0, shift)];
}
