import { InvalidLockOptionsError } from '../core/errors/invalid-lock-options.error.js';
import { CLI_HELP } from './cli-help.js';
import type { CliIo } from './cli-io.interface.js';
import { CliUsageError } from './cli-usage.error.js';
import { inspectCommand } from './commands/inspect.command.js';
import { listCommand } from './commands/list.command.js';
import { releaseCommand } from './commands/release.command.js';
import { openCliSession } from './open-cli-session.js';
import { type CliRequest, parseCliArguments } from './parse-cli-arguments.js';

/**
 * Runs one `nestjs-redis-lock` command and returns its exit status: 0 done, 1 failed (or a
 * release not confirmed), 2 invalid arguments. Never throws: every failure becomes one line on
 * stderr. Closes every connection it opened, so the process ends by itself.
 * @internal
 */
export async function runCli(
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
  io: CliIo,
): Promise<number> {
  let request: CliRequest;
  try {
    request = parseCliArguments(argv, env);
  } catch (error) {
    return fail(io, error);
  }
  if (request.command === 'help') {
    io.stdout.write(CLI_HELP);
    return 0;
  }
  let session;
  try {
    session = await openCliSession(request);
  } catch (error) {
    return fail(io, error);
  }
  try {
    for (const server of session.unreachable) {
      io.stderr.write(
        `nestjs-redis-lock: warning: cannot reach ${server}; going on with the others.\n`,
      );
    }
    switch (request.command) {
      case 'list':
        return await listCommand(session.manager, request, io);
      case 'inspect':
        return await inspectCommand(session.manager, request, io);
      case 'release':
        return await releaseCommand(session.manager, request, io);
    }
  } catch (error) {
    return fail(io, error);
  } finally {
    await session.close();
  }
}

function fail(io: CliIo, error: unknown): number {
  const message = error instanceof Error ? error.message : String(error);
  io.stderr.write(`nestjs-redis-lock: ${message.replace(/\s*\n\s*/g, ' ')}\n`);
  const usage = error instanceof CliUsageError || error instanceof InvalidLockOptionsError;
  if (usage) io.stderr.write('Run nestjs-redis-lock --help for usage.\n');
  return usage ? 2 : 1;
}
