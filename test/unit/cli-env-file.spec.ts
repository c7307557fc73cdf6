import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CliUsageError } from '../../lib/cli/cli-usage.error.js';
import { type CliListRequest, parseCliArguments } from '../../lib/cli/parse-cli-arguments.js';

describe('the command line reads REDIS_URL as the application does', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'nrl-cli-env-'));
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  const urlOf = (argv: string[], env: Record<string, string> = {}): string =>
    (parseCliArguments(['list', ...argv], env, dir) as CliListRequest).urls
      .map((u) => u.href)
      .join(' ');

  it('from .env in the working directory when the environment has none', () => {
    writeFileSync(join(dir, '.env'), '# the app\nPORT=3000\nREDIS_URL="redis://from-file:6390"\n');
    expect(urlOf([])).toBe('redis://from-file:6390');
  });

  it('the environment first, then --url over both', () => {
    writeFileSync(join(dir, '.env'), 'REDIS_URL=redis://from-file:6390\n');
    expect(urlOf([], { REDIS_URL: 'redis://from-env:6391' })).toBe('redis://from-env:6391');
    expect(urlOf(['--url', 'redis://from-flag:6392'], { REDIS_URL: 'redis://x:1' })).toBe(
      'redis://from-flag:6392',
    );
  });

  it('from the file --env-file names, which must exist', () => {
    writeFileSync(join(dir, '.env.staging'), 'REDIS_URL=redis://staging:6393\n');
    expect(urlOf(['--env-file', '.env.staging'])).toBe('redis://staging:6393');
    expect(() => urlOf(['--env-file', '.env.missing'])).toThrow(CliUsageError);
    expect(() => urlOf(['--env-file', '.env.missing'])).toThrow(/Cannot read the --env-file/);
  });

  it('without any, says where it looked', () => {
    expect(() => urlOf([])).toThrow(/set REDIS_URL, in the environment or a \.env file/);
  });
});
