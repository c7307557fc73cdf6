import type { LockManager } from '../../core/lock-manager.js';
import type { CliIo } from '../cli-io.interface.js';
import { formatLock } from '../format-lock.util.js';
import type { CliKeyRequest } from '../parse-cli-arguments.js';

/** `inspect <key>`: one lock, held or free. @internal */
export async function inspectCommand(
  manager: LockManager,
  request: CliKeyRequest,
  io: CliIo,
): Promise<number> {
  const info = await manager.inspect(request.key);
  io.stdout.write(`${request.json ? JSON.stringify(info) : formatLock(info)}\n`);
  return 0;
}
