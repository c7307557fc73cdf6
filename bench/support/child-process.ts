import type { ChildProcess } from 'node:child_process';

/**
 * The next message of `type` from a benchmark's child process. Rejects when the child exits
 * first, or sends nothing of that type within `limitMs` (it is then killed: a library that
 * never answers is broken, not slow). `who` names the child in those errors.
 */
export function nextMessage<M extends { readonly type: string }>(
  child: ChildProcess,
  type: M['type'],
  limitMs: number,
  who: string,
): Promise<M> {
  return new Promise((resolve, reject) => {
    const cleanup = (): void => {
      clearTimeout(timer);
      child.off('message', onMessage);
      child.off('exit', onExit);
    };
    const onMessage = (message: M): void => {
      if (message.type !== type) return;
      cleanup();
      resolve(message);
    };
    const onExit = (code: number | null): void => {
      cleanup();
      reject(new Error(`${who} exited (code ${code}) while waiting for "${type}"`));
    };
    const timer = setTimeout(() => {
      cleanup();
      child.kill('SIGKILL');
      reject(new Error(`${who} sent no "${type}" within ${limitMs} ms: a library hangs`));
    }, limitMs);
    child.on('message', onMessage);
    child.once('exit', onExit);
  });
}

/** Asks a child process to stop (`{ type: 'stop' }`), and kills it if it has not within `graceMs`. */
export function stopChild(child: ChildProcess, graceMs: number): Promise<void> {
  return new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    if (child.connected) child.send({ type: 'stop' });
    else child.kill('SIGKILL');
  });
}
