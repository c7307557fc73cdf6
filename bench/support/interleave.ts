import type { Contender, ContenderSpec } from '../libraries/contender.js';
import { rotation } from './rounds.js';

export interface Participant {
  readonly spec: ContenderSpec;
  readonly contender: Contender;
}

/**
 * Runs `measure` for every participant in every round, in an order rotated each round, and
 * collects the samples per contender id and round. Interleaving within one run is what makes the
 * ratios meaningful on a shared machine: noise hits every library alike.
 */
export async function interleave<P extends { readonly spec: ContenderSpec }, S>(
  participants: readonly P[],
  rounds: number,
  measure: (participant: P, round: number) => Promise<S>,
): Promise<Map<string, S[]>> {
  const samples = new Map<string, S[]>(participants.map((p) => [p.spec.id, []]));
  for (let round = 0; round < rounds; round++) {
    for (const participant of rotation(participants, round)) {
      samples.get(participant.spec.id)!.push(await measure(participant, round));
    }
  }
  return samples;
}

/** The floor's id: ratios are taken to it. */
export function floorId(specs: readonly ContenderSpec[]): string {
  const floor = specs.find((spec) => spec.library === 'floor');
  if (!floor) throw new Error('the contenders must include the floor');
  return floor.id;
}

/**
 * For each round, a contender's figure divided by the floor's figure of the same round; the
 * median of those. A per-round ratio cancels out the load the machine had during that round.
 */
export function medianRatioToFloor(
  figures: readonly number[],
  floorFigures: readonly number[],
  median: (values: readonly number[]) => number,
): number {
  const ratios = figures.map((value, round) => value / floorFigures[round]!);
  return median(ratios);
}
