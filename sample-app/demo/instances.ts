import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { SALE_EVENT_PREFIX, type SaleEvent } from '../src/events/sale-event.interface';

/** One instance of the sample app, as its own process. */
export interface Instance {
  /** `shop-1`, `shop-2`, ...: what the output and the timeline call it. */
  readonly name: string;
  readonly url: string;
  readonly pid: number;
  readonly process: ChildProcess;
  /** Whether the process is still running (it may be paused). */
  readonly alive: boolean;
  /** SIGSTOP: the process freezes, its connections stay open, its timers stop. */
  pause(): void;
  /** SIGCONT after pause(). */
  resume(): void;
  /** SIGKILL: it dies on the spot, without releasing anything; resolves once it is gone. */
  kill(): Promise<void>;
}

// Compiled, the demo runs next to the app (dist/demo, dist/src); from the TypeScript sources
// (the tests), the instances still run the compiled app.
const MAIN = existsSync(join(__dirname, '..', 'src', 'main.js'))
  ? join(__dirname, '..', 'src', 'main.js')
  : join(__dirname, '..', 'dist', 'src', 'main.js');

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

/**
 * Starts one instance of the sample app and waits for its READY line. With `SALE_EVENTS=stdout`
 * in `env`, each of its `EVENT {json}` lines goes to `onEvent`.
 */
export function startInstance(
  name: string,
  env: NodeJS.ProcessEnv,
  onEvent: (event: SaleEvent) => void = () => undefined,
): Promise<Instance> {
  if (!existsSync(MAIN)) {
    throw new Error(`${MAIN} is missing: build the sample app first (npm run build:sample).`);
  }
  const child = spawn(process.execPath, [MAIN], {
    env: { ...process.env, PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let startup = '';
  let pending = '';
  let ready: ((url: string) => void) | undefined;
  child.stderr!.on('data', (chunk: Buffer) => {
    if (ready) startup += chunk;
  });
  child.stdout!.on('data', (chunk: Buffer) => {
    pending += chunk;
    let newline: number;
    while ((newline = pending.indexOf('\n')) >= 0) {
      const line = pending.slice(0, newline);
      pending = pending.slice(newline + 1);
      if (line.startsWith(SALE_EVENT_PREFIX)) {
        onEvent(JSON.parse(line.slice(SALE_EVENT_PREFIX.length)) as SaleEvent);
      } else if (ready && line.startsWith('READY ')) {
        ready(line.slice('READY '.length).trim());
      } else if (ready) {
        startup += `${line}\n`;
      }
    }
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${name} did not start within 20 s:\n${startup}`));
    }, 20_000);
    const onExit = (code: number | null): void => {
      clearTimeout(timer);
      reject(new Error(`${name} exited with ${code} before it was ready:\n${startup}`));
    };
    child.once('exit', onExit);
    ready = (url) => {
      ready = undefined;
      startup = '';
      clearTimeout(timer);
      child.off('exit', onExit);
      resolve({
        name,
        url,
        pid: child.pid!,
        process: child,
        get alive() {
          return child.exitCode === null && child.signalCode === null;
        },
        pause: () => void child.kill('SIGSTOP'),
        resume: () => void child.kill('SIGCONT'),
        kill: async () => {
          child.kill('SIGKILL');
          await exited(child);
        },
      });
    };
  });
}

/**
 * Stops instances: SIGCONT (a paused process cannot handle SIGTERM), SIGTERM (Nest shuts down
 * and releases its locks), SIGKILL after 5 s.
 */
export async function stopInstances(instances: readonly Instance[]): Promise<void> {
  await Promise.all(
    instances.map(async ({ process: child }) => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      child.kill('SIGCONT');
      child.kill('SIGTERM');
      await exited(child);
      clearTimeout(timer);
    }),
  );
}
