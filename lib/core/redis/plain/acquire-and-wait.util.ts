import type { Cluster, Redis } from 'ioredis';
import { ACQUIRE_SCRIPT, ACQUIRE_SHA } from './acquire.script.js';

/**
 * The acquire script and `WAIT` in one pipeline: one round trip, on one connection, so the
 * `WAIT` counts the replicas that have the acquisition. Sent as EVALSHA (EVAL when the server
 * lost its script cache) rather than through `defineCommand`, which would resend a NOSCRIPT
 * script outside the pipeline, after the `WAIT`. Resolves to the script's reply and the number
 * of replicas that acknowledged.
 * @internal
 */
export async function acquireAndWait(
  client: Redis | Cluster,
  keysAndArgs: { readonly numKeys: number; readonly args: ReadonlyArray<string | number> },
  wait: { readonly replicas: number; readonly timeout: number },
): Promise<[number[], number]> {
  const { numKeys, args } = keysAndArgs;
  const send = async (script: 'evalsha' | 'eval'): Promise<[number[], number]> => {
    const pipeline = client.pipeline();
    if (script === 'evalsha') pipeline.evalsha(ACQUIRE_SHA, numKeys, ...args);
    else pipeline.eval(ACQUIRE_SCRIPT, numKeys, ...args);
    pipeline.wait(wait.replicas, wait.timeout);
    const results = (await pipeline.exec()) ?? [];
    const [scriptError, scriptReply] = results[0] ?? [new Error('no reply')];
    const [waitError, waitReply] = results[1] ?? [new Error('no reply')];
    if (scriptError) throw scriptError;
    if (waitError) throw waitError;
    return [scriptReply as number[], Number(waitReply)];
  };
  try {
    return await send('evalsha');
  } catch (error) {
    if (error instanceof Error && error.message.startsWith('NOSCRIPT')) return send('eval');
    throw error;
  }
}
