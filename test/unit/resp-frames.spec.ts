import { commandEnd, parseCommand, respValueEnd, splitFrames } from '../support/resp-frames.js';

// Replies of every RESP2 and RESP3 type, as Redis 7 sends them.
const REPLIES: Record<string, string> = {
  simple: '+OK\r\n',
  error: '-ERR unknown command\r\n',
  integer: ':-42\r\n',
  bulk: '$5\r\nhe\r\no\r\n',
  nullBulk: '$-1\r\n',
  emptyBulk: '$0\r\n\r\n',
  array: '*3\r\n:1\r\n$3\r\nabc\r\n*1\r\n+x\r\n',
  nullArray: '*-1\r\n',
  emptyArray: '*0\r\n',
  map: '%2\r\n+server\r\n$5\r\nredis\r\n+proto\r\n:3\r\n',
  set: '~2\r\n+a\r\n+b\r\n',
  push: '>3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$4\r\nbody\r\n',
  double: ',3.14\r\n',
  boolean: '#t\r\n',
  bigNumber: '(3492890328409238509324850943850943825024385\r\n',
  null: '_\r\n',
  blobError: '!21\r\nSYNTAX invalid syntax\r\n',
  verbatim: '=15\r\ntxt:Some string\r\n',
  attribute: '|1\r\n+ttl\r\n:3600\r\n:7\r\n',
};

describe('RESP frames', () => {
  it.each(Object.entries(REPLIES))('finds the end of a %s reply', (_type, text) => {
    const buffer = Buffer.from(text + '+NEXT\r\n');
    expect(respValueEnd(buffer, 0)).toBe(Buffer.byteLength(text));
  });

  it.each(Object.entries(REPLIES))(
    'reports a %s reply cut at any byte as incomplete',
    (_type, text) => {
      const buffer = Buffer.from(text);
      for (let cut = 0; cut < buffer.length; cut++) {
        expect(respValueEnd(buffer.subarray(0, cut), 0)).toBe(-1);
      }
    },
  );

  it('splits a stream of every reply type, fed in chunks of any size, into the same frames', () => {
    const stream = Buffer.from(Object.values(REPLIES).join(''));
    for (const size of [1, 2, 3, 7, 16, stream.length]) {
      const frames: string[] = [];
      let rest: Buffer = Buffer.alloc(0);
      for (let at = 0; at < stream.length; at += size) {
        const split = splitFrames(
          Buffer.concat([rest, stream.subarray(at, at + size)]),
          respValueEnd,
        );
        frames.push(...split.frames.map((frame) => frame.toString()));
        rest = split.rest;
      }
      expect(frames).toEqual(Object.values(REPLIES));
      expect(rest.length).toBe(0);
    }
  });

  it('reads commands sent as arrays of bulk strings and as inline lines', () => {
    const multibulk = Buffer.from('*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$4\r\nv\r\nx\r\n');
    const inline = Buffer.from('PING  hello\r\n');
    const stream = Buffer.concat([multibulk, inline]);
    const { frames, rest } = splitFrames(stream, commandEnd);
    expect(frames.map(parseCommand)).toEqual([
      ['SET', 'k', 'v\r\nx'],
      ['PING', 'hello'],
    ]);
    expect(rest.length).toBe(0);
  });

  it('refuses bytes that are not RESP, naming where', () => {
    expect(() => respValueEnd(Buffer.from('hello\r\n'), 0)).toThrow(
      /Not RESP: byte 0x68 at offset 0/,
    );
    expect(() => respValueEnd(Buffer.from('$x\r\n'), 0)).toThrow(/bad length "x"/);
  });
});
