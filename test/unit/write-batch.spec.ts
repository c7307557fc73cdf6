import { batchWrite, WRITE_BATCH_SIZE } from '../../lib/core/redis/connection/write-batch.js';

/** A socket that records what batching does to it (cork and uncork nest, as a stream's do). */
function recordingSocket(writable = true) {
  const calls: string[] = [];
  let depth = 0;
  return {
    calls,
    get corked() {
      return depth;
    },
    writable,
    cork() {
      depth++;
      calls.push('cork');
    },
    uncork() {
      depth--;
      calls.push('uncork');
    },
  };
}

const nextTick = (): Promise<void> => new Promise((resolve) => process.nextTick(resolve));

describe('batchWrite', () => {
  it('corks a socket at its first write of a turn and uncorks it on the next tick', async () => {
    const socket = recordingSocket();
    batchWrite(socket);
    batchWrite(socket);
    batchWrite(socket);
    expect(socket.calls).toEqual(['cork']);
    await nextTick();
    expect(socket.calls).toEqual(['cork', 'uncork']);
    expect(socket.corked).toBe(0);
    // A new turn starts a new batch.
    batchWrite(socket);
    await nextTick();
    expect(socket.calls).toEqual(['cork', 'uncork', 'cork', 'uncork']);
  });

  it(`lets a batch go after ${WRITE_BATCH_SIZE} writes, so Redis starts on it at once`, async () => {
    const socket = recordingSocket();
    for (let i = 0; i < WRITE_BATCH_SIZE * 2 + 1; i++) batchWrite(socket);
    expect(socket.calls).toEqual(['cork', 'uncork', 'cork', 'uncork', 'cork']);
    await nextTick();
    expect(socket.corked).toBe(0);
  });

  it('keeps each socket to its own batch and flushes them all', async () => {
    const a = recordingSocket();
    const b = recordingSocket();
    batchWrite(a);
    batchWrite(b);
    batchWrite(a);
    await nextTick();
    expect([a.calls, b.calls]).toEqual([
      ['cork', 'uncork'],
      ['cork', 'uncork'],
    ]);
  });

  it('uncorks every other socket, and batches again next turn, when one socket throws', async () => {
    const failing = {
      ...recordingSocket(),
      uncork: () => {
        throw new Error('socket gone');
      },
    };
    const other = recordingSocket();
    batchWrite(failing);
    batchWrite(other);
    await nextTick();
    expect(other.calls).toEqual(['cork', 'uncork']);
    batchWrite(other);
    await nextTick();
    expect(other.calls).toEqual(['cork', 'uncork', 'cork', 'uncork']);
  });

  it('leaves a socket that cannot be written alone', async () => {
    const socket = recordingSocket(false);
    batchWrite(socket);
    await nextTick();
    expect(socket.calls).toEqual([]);
  });
});
