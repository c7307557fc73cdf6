import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseEnv } from 'node:util';
import { CliUsageError } from './cli-usage.error.js';

/**
 * The variables of a `.env` file, as the application reads them (`@nestjs/config`, `node
 * --env-file`): `file` when `--env-file` names one (it must exist), else `.env` in `cwd` when
 * there is one. `undefined` when there is none to read.
 * @internal
 */
export function readEnvFile(
  file: string | undefined,
  cwd: string,
): Readonly<Record<string, string | undefined>> | undefined {
  const path = resolve(cwd, file ?? '.env');
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if (file === undefined && (error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new CliUsageError(
      '--env-file',
      `Cannot read the --env-file ${path}: ${(error as Error).message}.`,
    );
  }
  return parseEnv(text);
}
