import { randomFillSync } from 'node:crypto';

const TOKEN_BYTES = 16;
const POOL_TOKENS = 256;
const pool = Buffer.allocUnsafe(TOKEN_BYTES * POOL_TOKENS);
let offset = pool.length;

/**
 * A fresh lock token: 128 bits from the operating system's CSPRNG, hex-encoded.
 *
 * Bytes are drawn 4 KiB at a time (one system call per 256 tokens) and each byte is used once.
 * @internal
 */
export function createLockToken(): string {
  if (offset === pool.length) {
    randomFillSync(pool);
    offset = 0;
  }
  const token = pool.toString('hex', offset, offset + TOKEN_BYTES);
  offset += TOKEN_BYTES;
  return token;
}
