import { describeValue } from '../core/options/describe-value.util.js';
import { CliUsageError } from './cli-usage.error.js';
import { readEnvFile } from './read-env-file.js';

/** What the command line asked for. @internal */
export type CliRequest = { readonly command: 'help' } | CliListRequest | CliKeyRequest;

/** `list [pattern]`. @internal */
export interface CliListRequest extends CliConnection {
  readonly command: 'list';
  readonly pattern: string | undefined;
}

/** `inspect <key>`, `release <key>`. @internal */
export interface CliKeyRequest extends CliConnection {
  readonly command: 'inspect' | 'release';
  readonly key: string;
}

/** How to reach Redis, and how to talk about it. @internal */
export interface CliConnection {
  readonly urls: readonly URL[];
  readonly cluster: boolean;
  readonly prefix: string;
  readonly count: number;
  readonly json: boolean;
  readonly yes: boolean;
  readonly timeout: number;
}

const COMMANDS = ['list', 'inspect', 'release'] as const;
const WITH_VALUE = ['--url', '--prefix', '--count', '--timeout', '--env-file'] as const;
const FLAGS = ['--cluster', '--json', '--yes', '-y', '--help', '-h'] as const;

/**
 * Reads the command line (`process.argv.slice(2)`), and `REDIS_URL` when no `--url` is given:
 * from the environment, else from the `.env` file (`--env-file`, or `.env` in `cwd`), as the
 * application reads it.
 * @throws CliUsageError for anything it does not understand, naming it
 * @internal
 */
export function parseCliArguments(
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
  cwd: string = process.cwd(),
): CliRequest {
  const { positional, values, flags } = tokenize(argv);
  if (flags.has('--help') || flags.has('-h')) return { command: 'help' };
  const { command, argument } = readCommand(positional);
  const connection = readConnection(values, flags, env, cwd);
  if (command === 'list') return { command, pattern: argument, ...connection };
  if (argument === undefined) {
    throw new CliUsageError(
      'key',
      `${command} needs the key of a lock (without the prefix), for example: ${command} order:42.`,
    );
  }
  return { command, key: argument, ...connection };
}

type OptionWithValue = (typeof WITH_VALUE)[number];

/** The words of the command line, sorted into arguments, options with values, and flags. */
function tokenize(argv: readonly string[]): {
  positional: string[];
  values: Record<OptionWithValue, string[]>;
  flags: Set<string>;
} {
  const positional: string[] = [];
  const values: Record<OptionWithValue, string[]> = {
    '--url': [],
    '--prefix': [],
    '--count': [],
    '--timeout': [],
    '--env-file': [],
  };
  const flags = new Set<string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') {
      positional.push(...argv.slice(i + 1));
      break;
    }
    if (!arg.startsWith('-') || arg === '-') {
      positional.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    const name = eq === -1 ? arg : arg.slice(0, eq);
    if ((WITH_VALUE as readonly string[]).includes(name)) {
      const value = eq === -1 ? argv[++i] : arg.slice(eq + 1);
      if (value === undefined) {
        throw new CliUsageError(
          name,
          `Option ${name} needs a value, for example ${example(name)}.`,
        );
      }
      values[name as OptionWithValue].push(value);
    } else if ((FLAGS as readonly string[]).includes(name) && eq === -1) {
      flags.add(name);
    } else {
      throw new CliUsageError(
        name,
        `Unknown option ${arg}. Options: ${[...WITH_VALUE, ...FLAGS].join(', ')}.`,
      );
    }
  }
  return { positional, values, flags };
}

/** The command, and its one argument (a pattern or a key) when given. */
function readCommand(positional: readonly string[]): {
  command: (typeof COMMANDS)[number];
  argument: string | undefined;
} {
  const [command, ...rest] = positional;
  if (command === undefined) {
    throw new CliUsageError('command', `Give a command: ${COMMANDS.join(', ')}.`);
  }
  if (!(COMMANDS as readonly string[]).includes(command)) {
    throw new CliUsageError(
      'command',
      `Unknown command "${command}". Commands: ${COMMANDS.join(', ')}.`,
    );
  }
  const maxArguments = 1;
  if (rest.length > maxArguments) {
    throw new CliUsageError(
      'command',
      `${command} takes ${command === 'list' ? 'at most one pattern' : 'one key'}, but received ${rest.length} arguments: ${rest.map((r) => JSON.stringify(r)).join(' ')}. Quote a pattern so the shell does not expand it.`,
    );
  }
  return { command: command as (typeof COMMANDS)[number], argument: rest[0] };
}

/** How to reach Redis: `--url`, else `REDIS_URL` (the environment's, else the `.env` file's). */
function readConnection(
  values: Record<OptionWithValue, string[]>,
  flags: ReadonlySet<string>,
  env: Readonly<Record<string, string | undefined>>,
  cwd: string,
): CliConnection {
  for (const name of ['--prefix', '--count', '--timeout', '--env-file'] as const) {
    if (values[name].length > 1) {
      throw new CliUsageError(
        name,
        `Option ${name} was given ${values[name].length} times; give it once.`,
      );
    }
  }
  // The environment wins over the file, as with node --env-file and @nestjs/config.
  const fromEnv =
    env.REDIS_URL || values['--url'].length > 0
      ? env.REDIS_URL
      : readEnvFile(values['--env-file'][0], cwd)?.REDIS_URL;
  const urlTexts = values['--url'].length > 0 ? values['--url'] : fromEnv ? [fromEnv] : [];
  if (urlTexts.length === 0) {
    throw new CliUsageError(
      '--url',
      'Give the Redis to look at: --url redis://host:6379 (or set REDIS_URL, in the environment or a .env file).',
    );
  }
  const prefix = values['--prefix'][0] ?? 'lock:';
  if (prefix.length === 0) {
    throw new CliUsageError(
      '--prefix',
      'Option --prefix must not be empty (the default is lock:).',
    );
  }
  return {
    urls: urlTexts.map(parseUrl),
    cluster: flags.has('--cluster'),
    prefix,
    count: integer('--count', values['--count'][0], 100, 1, 10_000),
    json: flags.has('--json'),
    yes: flags.has('--yes') || flags.has('-y'),
    timeout: integer('--timeout', values['--timeout'][0], 5_000, 1, 600_000),
  };
}

function parseUrl(text: string): URL {
  let url: URL | undefined;
  try {
    url = new URL(text);
  } catch {
    url = undefined;
  }
  if (!url || (url.protocol !== 'redis:' && url.protocol !== 'rediss:') || !url.hostname) {
    throw new CliUsageError(
      '--url',
      `--url must look like redis://host:6379 (or rediss:// for TLS), but received ${describeValue(text)}.`,
    );
  }
  return url;
}

function integer(
  name: string,
  text: string | undefined,
  fallback: number,
  min: number,
  max: number,
): number {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!/^\d+$/.test(text) || value < min || value > max) {
    throw new CliUsageError(
      name,
      `Option ${name} must be a whole number from ${min} to ${max}, but received ${describeValue(text)}.`,
    );
  }
  return value;
}

function example(name: string): string {
  switch (name) {
    case '--url':
      return '--url redis://localhost:6379';
    case '--prefix':
      return '--prefix lock:';
    case '--count':
      return '--count 500';
    case '--env-file':
      return '--env-file .env.production';
    default:
      return '--timeout 2000';
  }
}
