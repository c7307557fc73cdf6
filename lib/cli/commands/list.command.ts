import type { HeldLockInfo } from '../../core/interfaces/lock-info.interface.js';
import type { LockManager } from '../../core/lock-manager.js';
import type { CliIo } from '../cli-io.interface.js';
import { formatLockTable } from '../format-lock.util.js';
import type { CliListRequest } from '../parse-cli-arguments.js';

/**
 * `list [pattern]`: the held locks as a table sorted by key (or, with `--json`, one object per
 * lock as the pages come).
 * @internal
 */
export async function listCommand(
  manager: LockManager,
  request: CliListRequest,
  io: CliIo,
): Promise<number> {
  const { pattern, count, prefix } = request;
  const listing = manager.list({ ...(pattern !== undefined && { match: pattern }), count });
  if (request.json) {
    for await (const { key, ttl, fencingToken, owner } of listing) {
      io.stdout.write(`${JSON.stringify({ key, ttl, fencingToken, owner })}\n`);
    }
    return 0;
  }
  const locks: HeldLockInfo[] = [];
  for await (const lock of listing) locks.push(lock);
  const where = `under "${prefix}"${pattern === undefined ? '' : ` matching "${pattern}"`}`;
  if (locks.length === 0) {
    io.stdout.write(`No lock held ${where}.\n`);
    return 0;
  }
  locks.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  io.stdout.write(`${formatLockTable(locks)}\n`);
  io.stdout.write(`${locks.length} lock${locks.length === 1 ? '' : 's'} held ${where}.\n`);
  return 0;
}
