import { type ChildProcess, fork } from 'node:child_process';
import { join } from 'node:path';
import type { ContenderSpec } from '../../libraries/contender.js';
import type { FromCallWorker, ToCallWorker } from './protocol.js';

/** A library that takes this long over one turn is broken, not slow. */
const TURN_LIMIT_MS = 120_000;

/**
 * One contender in a process of its own (see worker.ts), for scenarios 1 and 2: started once,
 * asked for one timed turn at a time, stopped at the end.
 */
export class ContenderProcess {
  private constructor(
    readonly spec: ContenderSpec,
    private readonly child: ChildProcess,
  ) {}

  /** Starts one process per contender, all at once, and waits until each is connected. */
  static async startAll(
    specs: readonly ContenderSpec[],
    port: number,
  ): Promise<ContenderProcess[]> {
    const script = join(__dirname, 'worker.js');
    const processes = specs.map(
      (spec) =>
        new ContenderProcess(
          spec,
          fork(script, [spec.id, String(port)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] }),
        ),
    );
    try {
      await Promise.all(processes.map((p) => p.next('ready', 30_000)));
    } catch (error) {
      await Promise.all(processes.map((p) => p.stop()));
      throw error;
    }
    return processes;
  }

  /** Sends `message` and resolves to the reply of the same type. */
  async ask<T extends FromCallWorker>(
    message: Exclude<ToCallWorker, { type: 'stop' }>,
  ): Promise<T> {
    this.child.send(message);
    return (await this.next(message.type, TURN_LIMIT_MS)) as T;
  }

  async stop(): Promise<void> {
    const { child } = this;
    if (child.exitCode !== null || child.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      child.once('exit', () => {
        clearTimeout(timer);
        resolve();
      });
      if (child.connected) child.send({ type: 'stop' } satisfies ToCallWorker);
      else child.kill('SIGKILL');
    });
  }

  private next(type: FromCallWorker['type'], limitMs: number): Promise<FromCallWorker> {
    const { child, spec } = this;
    return new Promise((resolve, reject) => {
      const cleanup = (): void => {
        clearTimeout(timer);
        child.off('message', onMessage);
        child.off('exit', onExit);
      };
      const onMessage = (message: FromCallWorker): void => {
        if (message.type !== type) return;
        cleanup();
        resolve(message);
      };
      const onExit = (code: number | null): void => {
        cleanup();
        reject(new Error(`${spec.id}: its process exited (code ${code}) before "${type}"`));
      };
      const timer = setTimeout(() => {
        cleanup();
        child.kill('SIGKILL');
        reject(new Error(`${spec.id}: no "${type}" within ${limitMs} ms: the library hangs`));
      }, limitMs);
      child.on('message', onMessage);
      child.once('exit', onExit);
    });
  }
}
