import type { LockManager } from '../../core/lock-manager.js';
import type { CliIo } from '../cli-io.interface.js';
import { confirm } from '../confirm.js';
import { formatTtl } from '../format-lock.util.js';
import type { CliKeyRequest } from '../parse-cli-arguments.js';

/**
 * `release <key>`: shows who holds the lock, asks (unless `--yes`), then removes that holder
 * only: a lock that changed hands while the question was on screen stays with its new holder.
 * Exit status 1 when the operator did not confirm.
 * @internal
 */
export async function releaseCommand(
  manager: LockManager,
  request: CliKeyRequest,
  io: CliIo,
): Promise<number> {
  const { key, json } = request;
  const report = (released: boolean, text: string): void => {
    io.stdout.write(`${json ? JSON.stringify({ key, released }) : text}\n`);
  };
  const info = await manager.inspect(key);
  if (!info.held) {
    report(false, `Lock "${key}" is not held: nothing to release.`);
    return 0;
  }
  const fencingToken = info.fencingToken!;
  if (!request.yes) {
    const confirmed = await confirm(
      `Force-release lock "${key}" held by ${info.owner ?? 'an unknown owner'} ` +
        `(fencing token ${fencingToken}, ${formatTtl(info.ttl)} left)? ` +
        'Its holder only learns of it at its next renewal or release. [y/N] ',
      io,
    );
    if (!confirmed) {
      io.stderr.write(`Not released (pass --yes to release without the question).\n`);
      return 1;
    }
  }
  if (await manager.forceRelease(key, { fencingToken })) {
    report(true, `Released lock "${key}" (fencing token ${fencingToken}).`);
    return 0;
  }
  const now = await manager.inspect(key);
  report(
    false,
    now.held
      ? `Lock "${key}" changed hands meanwhile (now fencing token ${now.fencingToken}, held by ${now.owner ?? 'an unknown owner'}): nothing released.`
      : `Lock "${key}" was released meanwhile: nothing to release.`,
  );
  return 0;
}
