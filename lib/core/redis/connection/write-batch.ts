/** The part of a socket (net.Socket, tls.TLSSocket) that batching uses. */
interface CorkableSocket {
  readonly writable: boolean;
  cork(): void;
  uncork(): void;
}

/**
 * Commands written to one socket before the batch goes out anyway: Redis starts on the first of
 * them while the process is still building the rest, so the two keep working side by side.
 */
export const WRITE_BATCH_SIZE = 16;

/** Sockets corked in this turn of the event loop, with the writes since their last uncork. */
const corked = new Map<CorkableSocket, number>();

function flush(): void {
  // Emptied first, and each socket on its own: one socket that throws must not leave the others
  // corked for good, nor the next turn unable to batch.
  const sockets = [...corked.keys()];
  corked.clear();
  for (const socket of sockets) {
    try {
      socket.uncork();
    } catch {
      // A write error surfaces on the socket ('error', then close), where its client handles it.
    }
  }
}

/**
 * Called right before the engine writes a command to `socket`: the commands written in one turn
 * of the event loop go out in one system call per {@link WRITE_BATCH_SIZE} instead of one each.
 * ioredis writes every command with its own `write`, so 64 callers whose replies came in one
 * read cost 64 system calls, which were most of the client's CPU per call. The socket is corked
 * at its first write of the turn and uncorked on the next tick, which runs once the turn's
 * promise callbacks are done: no command waits for a timer or for I/O. Other commands written
 * to the same socket in that turn (the application's own) go out in the same batch, in order.
 * @internal
 */
export function batchWrite(socket: CorkableSocket): void {
  if (!socket.writable) return;
  const writes = corked.get(socket);
  if (writes === undefined) {
    if (corked.size === 0) process.nextTick(flush);
    socket.cork();
    corked.set(socket, 1);
  } else if (writes >= WRITE_BATCH_SIZE) {
    socket.uncork();
    socket.cork();
    corked.set(socket, 1);
  } else {
    corked.set(socket, writes + 1);
  }
}
