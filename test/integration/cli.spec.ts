import { spawn } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LockLostError, LockManager } from '../../lib/core/index.js';
import { freePort, startRedis } from '../support/redis-server.js';
import { useRedisServer } from '../support/suites.js';

// The compiled command, as the package's "bin" runs it (built by the jest global setup).
const cli = join(__dirname, '..', '..', 'dist', 'cjs', 'cli', 'main.js');

interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly ms: number;
}

/** Runs the CLI as a child process; `input` is written to its stdin, which is then closed. */
function run(
  args: readonly string[],
  input?: string,
  env: NodeJS.ProcessEnv = {},
  main = cli,
): Promise<Run> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [main, ...args], {
      env: { PATH: process.env.PATH, ...env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const killer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(killer);
      resolve({ code, stdout, stderr, ms: Date.now() - started });
    });
    if (input !== undefined) child.stdin.end(input);
    else child.stdin.end();
  });
}

describe('the nestjs-redis-lock command line', () => {
  const db = useRedisServer();
  let web: LockManager;
  let worker: LockManager;

  beforeEach(async () => {
    await db.redis.flushall();
    web = db.manager({ owner: 'web-1:4242' });
    worker = db.manager({ owner: 'worker-7:99' });
  });

  it('--help explains the commands, options and exit statuses', async () => {
    const { code, stdout, stderr } = await run(['--help']);
    expect(code).toBe(0);
    expect(stderr).toBe('');
    expect(stdout).toMatch(/^Usage: nestjs-redis-lock <command> \[options\]/);
    for (const text of ['list [pattern]', 'inspect <key>', 'release <key>', '--url', '--yes']) {
      expect(stdout).toContain(text);
    }
    expect(stdout).toContain('Exit status: 0 done, 1 failed');
  });

  it('lists the held locks as a table, sorted, and nothing else', async () => {
    const order = await web.acquire('order:42', { ttl: 60_000 });
    const job = await worker.acquire('job:nightly', { ttl: 5_000 });
    await db.redis.set('lock:data', 'not a lock');
    await db.redis.set('session:1', 'not under the prefix');

    const { code, stdout, stderr } = await run(['list', '--url', db.server.url]);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const lines = stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(4);
    expect(lines[0]).toMatch(/^KEY\s+TTL\s+FENCING TOKEN\s+OWNER$/);
    expect(lines[1]).toMatch(
      new RegExp(`^job:nightly\\s+\\d\\d\\d\\d ms\\s+${job.fencingToken}\\s+worker-7:99$`),
    );
    expect(lines[2]).toMatch(
      new RegExp(`^order:42\\s+\\d+\\.\\d s\\s+${order.fencingToken}\\s+web-1:4242$`),
    );
    expect(lines[3]).toBe('2 locks held under "lock:".');
    // Columns are aligned.
    expect(lines[1]!.indexOf(String(job.fencingToken))).toBe(
      lines[2]!.indexOf(String(order.fencingToken)),
    );
  });

  it('lists by pattern, as JSON lines, under another prefix, and says when nothing is held', async () => {
    const shop = new LockManager(db.redis, { keyPrefix: 'shop:lock:', owner: 'shop' });
    try {
      const a = await shop.acquire('order:1');
      await shop.acquire('order:2');
      await shop.acquire('cart:1');
      const json = await run([
        'list',
        'order:*',
        '--json',
        '--prefix',
        'shop:lock:',
        `--url=${db.server.url}`,
      ]);
      expect(json.code).toBe(0);
      const rows = json.stdout
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line) as { key: string });
      expect(rows.map((r) => r.key).sort()).toEqual(['order:1', 'order:2']);
      expect(rows.find((r) => r.key === 'order:1')).toEqual({
        key: 'order:1',
        ttl: expect.any(Number),
        fencingToken: a.fencingToken,
        owner: 'shop',
      });

      const none = await run([
        'list',
        'invoice:*',
        '--url',
        db.server.url,
        '--prefix',
        'shop:lock:',
      ]);
      expect(none).toMatchObject({
        code: 0,
        stdout: 'No lock held under "shop:lock:" matching "invoice:*".\n',
      });
    } finally {
      await shop.close();
    }
  });

  it('inspects a held and a free lock', async () => {
    const lock = await web.acquire('order:7');
    const held = await run(['inspect', 'order:7', '--url', db.server.url]);
    expect(held.code).toBe(0);
    expect(held.stdout).toMatch(
      new RegExp(
        `^order:7  held\\n  ttl            [\\d.]+ s\\n  fencing token  ${lock.fencingToken}\\n  owner          web-1:4242\\n$`,
      ),
    );
    const free = await run(['inspect', 'order:8', '--json'], undefined, {
      REDIS_URL: db.server.url,
    });
    expect(free.code).toBe(0);
    expect(JSON.parse(free.stdout)).toEqual({
      key: 'order:8',
      held: false,
      ttl: null,
      fencingToken: null,
      owner: null,
    });
  });

  it('release asks first: "n" keeps the lock (exit 1), "y" removes it and its holder learns of it', async () => {
    const lock = await web.acquire('job:stuck');

    const declined = await run(['release', 'job:stuck', '--url', db.server.url], 'n\n');
    expect(declined.code).toBe(1);
    expect(declined.stderr).toContain(
      `Force-release lock "job:stuck" held by web-1:4242 (fencing token ${lock.fencingToken}, `,
    );
    expect(declined.stderr).toMatch(/ \[y\/N\] \nNot released \(pass --yes/);
    expect(declined.stdout).toBe('');
    expect((await web.inspect('job:stuck')).held).toBe(true);

    const accepted = await run(['release', 'job:stuck', '--url', db.server.url], 'y\n');
    expect(accepted.code).toBe(0);
    expect(accepted.stdout).toBe(
      `Released lock "job:stuck" (fencing token ${lock.fencingToken}).\n`,
    );
    expect((await web.inspect('job:stuck')).held).toBe(false);
    await expect(lock.extend()).rejects.toBeInstanceOf(LockLostError);
  });

  it('release without an answer (stdin closed) does nothing; --yes skips the question', async () => {
    await worker.acquire('job:a');
    const silent = await run(['release', 'job:a', '--url', db.server.url]);
    expect(silent.code).toBe(1);
    expect((await worker.inspect('job:a')).held).toBe(true);

    const yes = await run(['release', 'job:a', '--url', db.server.url, '-y', '--json']);
    expect(yes.code).toBe(0);
    expect(yes.stderr).toBe('');
    expect(JSON.parse(yes.stdout)).toEqual({ key: 'job:a', released: true });
    expect((await worker.inspect('job:a')).held).toBe(false);

    const free = await run(['release', 'job:a', '--url', db.server.url, '--yes']);
    expect(free).toMatchObject({
      code: 0,
      stdout: 'Lock "job:a" is not held: nothing to release.\n',
    });
  });

  it('bad arguments: one line saying what is wrong, exit status 2, before any connection', async () => {
    const cases: Array<[string[], string]> = [
      [[], 'Give a command: list, inspect, release.'],
      [
        ['frob', '--url', db.server.url],
        'Unknown command "frob". Commands: list, inspect, release.',
      ],
      [
        ['list'],
        'Give the Redis to look at: --url redis://host:6379 (or set REDIS_URL, in the environment or a .env file).',
      ],
      [
        ['list', '--url', 'http://localhost'],
        '--url must look like redis://host:6379 (or rediss:// for TLS), but received "http://localhost".',
      ],
      [['list', '--url'], 'Option --url needs a value, for example --url redis://localhost:6379.'],
      [
        ['list', '--url', db.server.url, '--count', 'ten'],
        'Option --count must be a whole number from 1 to 10000, but received "ten".',
      ],
      [['list', '--url', db.server.url, '--force'], 'Unknown option --force.'],
      [
        ['inspect', '--url', db.server.url],
        'inspect needs the key of a lock (without the prefix), for example: inspect order:42.',
      ],
      [['inspect', '#fence', '--url', db.server.url], 'Lock key "#fence" starts with "#"'],
      [
        ['list', 'a', 'b', '--url', db.server.url],
        'list takes at most one pattern, but received 2 arguments',
      ],
    ];
    for (const [args, message] of cases) {
      const result = await run(args);
      expect({ args, code: result.code }).toEqual({ args, code: 2 });
      const lines = result.stderr.trimEnd().split('\n');
      expect(lines).toHaveLength(2);
      expect(lines[0]).toContain(`nestjs-redis-lock: ${message}`);
      expect(lines[1]).toBe('Run nestjs-redis-lock --help for usage.');
      expect(result.stdout).toBe('');
    }
  });

  it('without ioredis where it runs: says so and how to run it with ioredis, exit status 1', async () => {
    // The compiled package, copied where no node_modules is found above it (the library itself
    // needs nothing else at run time).
    const dir = mkdtempSync(join(tmpdir(), 'nrl-cli-'));
    try {
      cpSync(join(__dirname, '..', '..', 'dist', 'cjs'), dir, { recursive: true });
      expect(() => require.resolve('ioredis', { paths: [join(dir, 'cli')] })).toThrow();
      const result = await run(
        ['list', '--url', db.server.url],
        undefined,
        {},
        join(dir, 'cli', 'main.js'),
      );
      expect(result.code).toBe(1);
      expect(result.stdout).toBe('');
      const lines = result.stderr.trimEnd().split('\n');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(
        /^nestjs-redis-lock: The command line connects to Redis with ioredis, which is not installed where it runs \(Cannot find (module|package) 'ioredis'/,
      );
      expect(lines[0]).toContain('npx -p ioredis -p nestjs-redis-lock nestjs-redis-lock <command>');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('an unreachable or frozen Redis: one line, exit status 1, quickly', async () => {
    const port = await freePort();
    const refused = await run(['list', '--url', `redis://:secret@127.0.0.1:${port}`]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toBe(
      `nestjs-redis-lock: Cannot reach Redis at redis://:***@127.0.0.1:${port} (connect ECONNREFUSED 127.0.0.1:${port}).\n`,
    );
    expect(refused.ms).toBeLessThan(10_000);

    const frozen = await startRedis();
    frozen.pause();
    try {
      const stalled = await run(['list', '--url', frozen.url, '--timeout', '300']);
      expect(stalled.code).toBe(1);
      expect(stalled.stderr.trimEnd().split('\n')).toHaveLength(1);
      expect(stalled.stderr).toBe(
        `nestjs-redis-lock: Cannot reach Redis at ${frozen.url} (Command timed out).\n`,
      );
      // Ended by its own --timeout, not by a client reconnecting for ever (the bound is loose:
      // it includes starting Node, slow on a loaded machine).
      expect(stalled.ms).toBeLessThan(10_000);
    } finally {
      frozen.resume();
      await frozen.stop();
    }
  });

  it('a quorum: lists with every master, goes on with a majority, says which master is missing', async () => {
    const masters = await Promise.all([startRedis(), startRedis(), startRedis()]);
    // No reconnecting: a client of the master stopped below ends, and needs no disconnect.
    const clients = masters.map((m) => m.client({ retryStrategy: () => null }));
    const quorum = new LockManager(clients, { owner: 'q' });
    try {
      const lock = await quorum.acquire('order:1');
      const urls = masters.flatMap((m) => ['--url', m.url]);
      const all = await run(['list', ...urls]);
      expect(all.code).toBe(0);
      expect(all.stdout).toContain(`order:1`);
      expect(all.stdout).toContain(String(lock.fencingToken));

      await masters[2]!.stop();
      const two = await run(['list', ...urls]);
      expect(two.code).toBe(0);
      expect(two.stderr).toBe(
        `nestjs-redis-lock: warning: cannot reach ${masters[2]!.url} (connect ECONNREFUSED 127.0.0.1:${masters[2]!.port}); going on with the others.\n`,
      );
      expect(two.stdout).toContain('1 lock held under "lock:".');

      const released = await run(['release', 'order:1', ...urls, '--yes']);
      expect(released.code).toBe(0);
      expect(await masters[0]!.command('EXISTS', 'lock:order:1')).toBe(0);
      expect(await masters[1]!.command('EXISTS', 'lock:order:1')).toBe(0);
    } finally {
      await quorum.close();
      for (const client of clients) if (client.status !== 'end') client.disconnect();
      await Promise.all(masters.map((m) => m.stop()));
    }
  });
});
