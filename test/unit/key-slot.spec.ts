import fc from 'fast-check';
import {
  CLUSTER_SLOTS,
  crc16,
  hashedPart,
  keySlot,
  tagForSlot,
} from '../../lib/core/util/key-slot.util.js';

describe('Redis Cluster key slots', () => {
  it('matches the CRC16 check value and slots Redis documents', () => {
    // CRC16/XMODEM check value from the Redis Cluster specification.
    expect(crc16(Buffer.from('123456789'))).toBe(0x31c3);
    // Values from CLUSTER KEYSLOT on a real server.
    expect(keySlot('foo')).toBe(12182);
    expect(keySlot('bar')).toBe(5061);
    expect(keySlot('{user1000}.following')).toBe(keySlot('user1000'));
  });

  it('encodes any string as UTF-8 without a Buffer, as Redis sees it', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 40 }), (key) => {
        const expected = crc16(Buffer.from(hashedPart(key), 'utf8')) % CLUSTER_SLOTS;
        return keySlot(key) === expected;
      }),
      { numRuns: 2_000 },
    );
  });

  it('hashes only the first non-empty {tag}', () => {
    expect(hashedPart('lock:{tenant:7}:order:1')).toBe('tenant:7');
    expect(hashedPart('a{}b{c}')).toBe('a{}b{c}');
    expect(hashedPart('a{b}{c}')).toBe('b');
    expect(hashedPart('no-tag')).toBe('no-tag');
    expect(hashedPart('open{only')).toBe('open{only');
  });

  it('finds, for every slot, a tag that hashes to it', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: CLUSTER_SLOTS - 1 }), (slot) => {
        const tag = tagForSlot(slot);
        return keySlot(`lock:#fence:{${tag}}`) === slot && tag.length <= 4;
      }),
    );
  });

  it("puts the fencing counter of any key in that key's slot", () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1, maxLength: 60 }), (key) => {
        const slot = keySlot(`lock:${key}`);
        return keySlot(`lock:#fence:{${tagForSlot(slot)}}`) === slot;
      }),
    );
  });
});
