import type { ContenderSpec } from './contender.js';
import { FLOOR } from './floor.js';
import { OURS_BARGING, OURS_DEFAULT, OURS_FAIR, OURS_NODE_REDIS, OURS_TUNED } from './ours.js';
import { REDLOCK_DEFAULT, REDLOCK_TUNED } from './redlock.js';
import { SEMAPHORE_DEFAULT, SEMAPHORE_TUNED } from './redis-semaphore.js';
import {
  OURS_SEMAPHORE,
  RIVAL_SEMAPHORE_DEFAULT,
  RIVAL_SEMAPHORE_TUNED,
  SEMAPHORE_FLOOR,
} from './semaphores.js';

/** Every contender, the floor first: ratios are taken to it. */
export const CONTENDERS: readonly ContenderSpec[] = [
  FLOOR,
  OURS_DEFAULT,
  OURS_TUNED,
  OURS_FAIR,
  OURS_BARGING,
  OURS_NODE_REDIS,
  REDLOCK_DEFAULT,
  REDLOCK_TUNED,
  SEMAPHORE_DEFAULT,
  SEMAPHORE_TUNED,
];

/** The semaphores of scenario 8, their floor first. */
export const SEMAPHORE_CONTENDERS: readonly ContenderSpec[] = [
  SEMAPHORE_FLOOR,
  OURS_SEMAPHORE,
  RIVAL_SEMAPHORE_DEFAULT,
  RIVAL_SEMAPHORE_TUNED,
];

export function contenderById(id: string): ContenderSpec {
  const spec = [...CONTENDERS, ...SEMAPHORE_CONTENDERS].find((c) => c.id === id);
  if (!spec) throw new Error(`unknown contender ${id}`);
  return spec;
}
