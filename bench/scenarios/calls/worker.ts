import { Redis } from 'ioredis';
import { contenderById } from '../../libraries/registry.js';
import type { Contender } from '../../libraries/contender.js';
import type {
  FromCallWorker,
  ParallelMessage,
  ToCallWorker,
  UncontendedMessage,
} from './protocol.js';

/**
 * The process of one contender in scenarios 1 and 2: one connection and one contender, kept for
 * every round, timing each turn it is asked for. A process of its own gives each library its own
 * heap and event loop, as an application has: garbage that one library leaves, and the
 * collections it causes, never land in another library's figures.
 * Usage (forked by contender-process.ts): node worker.js <contender id> <redis port>
 */
const id = process.argv[2]!;
const port = Number(process.argv[3]);
const redis = new Redis({ host: '127.0.0.1', port, lazyConnect: true });
let contender: Contender | undefined;

function send(message: FromCallWorker): void {
  process.send!(message);
}

/** CPU time (user + system) of this process since `since`, in µs. */
function cpuSince(since: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(since);
  return used.user + used.system;
}

async function uncontended(message: UncontendedMessage): Promise<void> {
  const latenciesMs: number[] = new Array(message.iterations);
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  for (let i = 0; i < message.iterations; i++) {
    const t0 = performance.now();
    const held = await contender!.acquire(`${message.prefix}:${i}`);
    await held.release();
    latenciesMs[i] = performance.now() - t0;
  }
  const elapsedS = (performance.now() - started) / 1000;
  send({ type: 'uncontended', elapsedS, latenciesMs, cpuUs: cpuSince(cpuBefore) });
}

async function parallel(message: ParallelMessage): Promise<void> {
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  const end = started + message.windowMs;
  let completed = 0;
  await Promise.all(
    Array.from({ length: message.loops }, async (_, loop) => {
      const own = `${message.prefix}:${loop}`;
      let pair = 0;
      while (performance.now() < end) {
        const key = message.freshKeys ? `${own}:${pair++}` : own;
        await (await contender!.acquire(key)).release();
        completed++;
      }
    }),
  );
  // The loops finish the pair they started at the deadline: counted over the time taken.
  const elapsedS = (performance.now() - started) / 1000;
  send({ type: 'parallel', completed, elapsedS, cpuUs: cpuSince(cpuBefore) });
}

async function stop(): Promise<void> {
  await contender?.close();
  await redis.quit();
  process.disconnect();
}

function fail(error: unknown): void {
  console.error(error);
  process.exit(1);
}

process.on('message', (message: ToCallWorker) => {
  if (message.type === 'uncontended') uncontended(message).catch(fail);
  else if (message.type === 'parallel') parallel(message).catch(fail);
  else void stop().catch(fail);
});

redis.connect().then(() => {
  contender = contenderById(id).create(redis);
  send({ type: 'ready' });
}, fail);
