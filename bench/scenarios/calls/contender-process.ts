import { type ChildProcess, fork } from 'node:child_process';
import { join } from 'node:path';
import type { ContenderSpec } from '../../libraries/contender.js';
import { nextMessage, stopChild } from '../../support/child-process.js';
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

  stop(): Promise<void> {
    return stopChild(this.child, 10_000);
  }

  private next(type: FromCallWorker['type'], limitMs: number): Promise<FromCallWorker> {
    return nextMessage<FromCallWorker>(this.child, type, limitMs, `${this.spec.id}'s process`);
  }
}
