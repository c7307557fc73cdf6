/**
 * The locker contract of `@nestjs/schedule` for jobs marked `{ distributed: true }` (its main
 * branch; not in a published version yet), declared here so the locker needs no dependency on
 * that package. `tryAcquire` says whether this instance runs the job; `release` (optional)
 * frees the lock early once the job finished.
 * @experimental
 * @publicApi
 */
export interface CronLocker {
  tryAcquire(key: string, ttlMs: number): Promise<boolean>;
  release?(key: string): Promise<void>;
}
