// Just enough of the Redis protocol (RESP2 and RESP3) for a proxy to know where one command or
// one reply ends, and which command a client sent. It never builds reply values: a proxy only
// needs frame boundaries to drop exactly one reply.

const CRLF = Buffer.from('\r\n');

/** RESP3 pushes (pub/sub messages, invalidations): not replies to any command. */
export const PUSH = 0x3e; // '>'

/**
 * Where the RESP value that starts at `offset` ends (the index after its last byte), or -1 when
 * `buffer` does not hold all of it yet.
 * @throws Error when the bytes at `offset` are not RESP
 */
export function respValueEnd(buffer: Buffer, offset: number): number {
  if (offset >= buffer.length) return -1;
  const type = buffer[offset]!;
  const eol = buffer.indexOf(CRLF, offset + 1);
  if (eol === -1) return -1;
  const afterLine = eol + 2;
  switch (type) {
    case 0x2b: // + simple string
    case 0x2d: // - error
    case 0x3a: // : integer
    case 0x2c: // , double
    case 0x23: // # boolean
    case 0x28: // ( big number
    case 0x5f: // _ null
      return afterLine;
    case 0x24: // $ bulk string
    case 0x21: // ! bulk error
    case 0x3d: {
      // = verbatim string
      const length = lengthField(buffer, offset, eol);
      if (length < 0) return afterLine;
      const end = afterLine + length + 2;
      return end <= buffer.length ? end : -1;
    }
    case 0x2a: // * array
    case 0x7e: // ~ set
    case 0x3e: // > push
    case 0x25: // % map
    case 0x7c: {
      // | attribute
      const count = lengthField(buffer, offset, eol);
      if (count < 0) return afterLine;
      const items = type === 0x25 || type === 0x7c ? count * 2 : count;
      let at = afterLine;
      for (let i = 0; i < items; i++) {
        at = respValueEnd(buffer, at);
        if (at === -1) return -1;
      }
      // An attribute is sent in front of the value it describes: the reply goes on after it.
      return type === 0x7c ? respValueEnd(buffer, at) : at;
    }
    default:
      throw new Error(
        `Not RESP: byte 0x${type.toString(16)} at offset ${offset} (${JSON.stringify(
          buffer.toString('latin1', offset, Math.min(buffer.length, offset + 16)),
        )})`,
      );
  }
}

/**
 * Where the client command that starts at `offset` ends: a RESP array of bulk strings (what
 * ioredis sends), or an inline command line (what `redis-cli` and hand-written probes send).
 */
export function commandEnd(buffer: Buffer, offset: number): number {
  if (offset >= buffer.length) return -1;
  if (buffer[offset] === 0x2a) return respValueEnd(buffer, offset);
  const eol = buffer.indexOf(CRLF, offset);
  return eol === -1 ? -1 : eol + 2;
}

/** The arguments of one complete command frame, as text (binary arguments come out as latin1). */
export function parseCommand(frame: Buffer): string[] {
  if (frame[0] !== 0x2a) {
    return frame
      .toString('latin1')
      .trim()
      .split(/\s+/)
      .filter((part) => part.length > 0);
  }
  const args: string[] = [];
  let eol = frame.indexOf(CRLF, 1);
  const count = lengthField(frame, 0, eol);
  let at = eol + 2;
  for (let i = 0; i < count; i++) {
    eol = frame.indexOf(CRLF, at + 1);
    const length = lengthField(frame, at, eol);
    const start = eol + 2;
    args.push(frame.toString('latin1', start, start + length));
    at = start + length + 2;
  }
  return args;
}

/**
 * Splits `buffer` into complete frames, as `frameEnd` delimits them; returns the frames and
 * the bytes of an incomplete last frame, to be completed by the next chunk.
 */
export function splitFrames(
  buffer: Buffer,
  frameEnd: (buffer: Buffer, offset: number) => number,
): { frames: Buffer[]; rest: Buffer } {
  const frames: Buffer[] = [];
  let at = 0;
  for (;;) {
    const end = frameEnd(buffer, at);
    if (end === -1) break;
    frames.push(buffer.subarray(at, end));
    at = end;
  }
  return { frames, rest: at === buffer.length ? EMPTY : buffer.subarray(at) };
}

const EMPTY = Buffer.alloc(0);

function lengthField(buffer: Buffer, typeAt: number, eol: number): number {
  const text = buffer.toString('latin1', typeAt + 1, eol);
  const value = Number(text);
  if (!Number.isInteger(value)) {
    throw new Error(`Not RESP: bad length ${JSON.stringify(text)} at offset ${typeAt}`);
  }
  return value;
}
