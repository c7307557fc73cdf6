import { type ChildProcess, fork, spawn } from 'node:child_process';
import { join } from 'node:path';

const WORKERS = join(__dirname, 'workers');

export interface ProcessResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly durationMs: number;
}

/** Runs a worker script as a separate Node.js process and collects its output. */
export function runWorker(
  script: string,
  args: readonly string[],
  timeoutMs = 60_000,
): Promise<ProcessResult> {
  const started = Date.now();
  const child = spawn(process.execPath, [join(WORKERS, script), ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk) => (stdout += chunk));
  child.stderr.on('data', (chunk) => (stderr += chunk));
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    // 'close', not 'exit': at 'exit' the last of the output may still be unread.
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, durationMs: Date.now() - started });
    });
  });
}

/** Forks a worker script with an IPC channel, for tests that steer it step by step. */
export function forkWorker(script: string, args: readonly string[]): ChildProcess {
  return fork(join(WORKERS, script), [...args], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
}

/** The next IPC message of `type` from a forked worker. */
export function nextMessage<T extends { type: string }>(
  child: ChildProcess,
  type?: string,
): Promise<T> {
  return new Promise((resolve, reject) => {
    const onMessage = (message: T): void => {
      if (type !== undefined && message.type !== type) return;
      child.off('message', onMessage);
      child.off('exit', onExit);
      resolve(message);
    };
    const onExit = (code: number | null): void =>
      reject(new Error(`worker exited with ${code} before sending ${type ?? 'a message'}`));
    child.on('message', onMessage);
    child.once('exit', onExit);
  });
}
