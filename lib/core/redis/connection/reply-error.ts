/**
 * An error reply of Redis (`WRONGTYPE ...`, `NOSCRIPT ...`, `NOPERM ...`) from a client whose own
 * class for it is not ioredis's: named `ReplyError` like ioredis's, so the engine tells a
 * refusal (nothing ran) from a connection failure (the command may have run) in one way.
 * @internal
 */
export class RedisReplyError extends Error {
  override readonly name = 'ReplyError';

  constructor(original: Error) {
    super(original.message, { cause: original });
  }
}

/** node-redis's error reply classes (`ErrorReply` and its `SimpleError`, `BlobError`). */
const NODE_REDIS_REPLIES = new Set(['ErrorReply', 'SimpleError', 'BlobError']);

/** The error a command failed with, error replies renamed (see {@link RedisReplyError}). */
export function normalizeReplyError(error: unknown): unknown {
  if (!(error instanceof Error) || error.name === 'ReplyError') return error;
  let prototype: object | null = Object.getPrototypeOf(error) as object | null;
  while (prototype && prototype !== Error.prototype) {
    if (NODE_REDIS_REPLIES.has((prototype as { constructor: { name: string } }).constructor.name)) {
      return new RedisReplyError(error);
    }
    prototype = Object.getPrototypeOf(prototype) as object | null;
  }
  return error;
}

/**
 * Redis did not have the script an EVALSHA named (first use on a server, a restart, a
 * `SCRIPT FLUSH`): nothing ran, and the script is sent again in full with EVAL.
 * @internal
 */
export function isNoScript(error: unknown): boolean {
  return error instanceof Error && error.message.startsWith('NOSCRIPT');
}
