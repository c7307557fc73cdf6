import type { HeldLockInfo, LockInfo } from '../core/interfaces/lock-info.interface.js';

/** A remaining ttl as operators read it. @internal */
export function formatTtl(ttl: number | null): string {
  if (ttl === null) return '-';
  if (ttl < 0) return 'no expiry';
  if (ttl < 10_000) return `${ttl} ms`;
  if (ttl < 3_600_000) return `${(ttl / 1000).toFixed(1)} s`;
  return `${(ttl / 3_600_000).toFixed(1)} h`;
}

/** Held locks as an aligned table, one line per lock. @internal */
export function formatLockTable(locks: readonly HeldLockInfo[]): string {
  const rows = [
    ['KEY', 'TTL', 'FENCING TOKEN', 'OWNER'],
    ...locks.map((lock) => [
      lock.key,
      formatTtl(lock.ttl),
      String(lock.fencingToken),
      lock.owner ?? '-',
    ]),
  ];
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)));
  return rows
    .map((row) =>
      row
        .map((cell, column) => (column === row.length - 1 ? cell : cell.padEnd(widths[column]!)))
        .join('  '),
    )
    .join('\n');
}

/** One lock, held or free, as a few lines. @internal */
export function formatLock(info: LockInfo): string {
  if (!info.held) return `${info.key}  free`;
  return [
    `${info.key}  held`,
    `  ttl            ${formatTtl(info.ttl)}`,
    `  fencing token  ${info.fencingToken}`,
    `  owner          ${info.owner ?? '-'}`,
  ].join('\n');
}
