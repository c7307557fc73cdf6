import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';

export interface Instance {
  readonly url: string;
  readonly process: ChildProcess;
}

const MAIN = join(__dirname, '..', 'src', 'main.js');

/** Starts one instance of the sample app as its own process and waits for its READY line. */
export function startInstance(env: NodeJS.ProcessEnv): Promise<Instance> {
  const child = spawn(process.execPath, [MAIN], {
    env: { ...process.env, PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`an instance did not start within 20 s:\n${output}`));
    }, 20_000);
    child.stderr!.on('data', (chunk) => (output += chunk));
    child.stdout!.on('data', (chunk: Buffer) => {
      output += chunk;
      const ready = /READY (\S+)/.exec(output);
      if (ready) {
        clearTimeout(timer);
        resolve({ url: ready[1]!, process: child });
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`an instance exited with ${code} before it was ready:\n${output}`));
    });
  });
}

/** Stops instances: SIGTERM (Nest shuts down and releases its locks), SIGKILL after 5 s. */
export async function stopInstances(instances: readonly Instance[]): Promise<void> {
  await Promise.all(
    instances.map(
      ({ process: child }) =>
        new Promise<void>((resolve) => {
          if (child.exitCode !== null || child.signalCode !== null) return resolve();
          const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
          child.once('exit', () => {
            clearTimeout(timer);
            resolve();
          });
          child.kill('SIGTERM');
        }),
    ),
  );
}
