/** Number of hash slots of a Redis Cluster. */
export const CLUSTER_SLOTS = 16_384;

// CRC16-CCITT (XMODEM), the checksum Redis Cluster uses to place keys in slots.
const CRC16_TABLE = (() => {
  const table = new Uint16Array(256);
  for (let i = 0; i < 256; i++) {
    let crc = i << 8;
    for (let bit = 0; bit < 8; bit++) {
      crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
    }
    table[i] = crc;
  }
  return table;
})();

/** @internal */
export function crc16(bytes: Uint8Array): number {
  let crc = 0;
  for (const byte of bytes) {
    crc = ((crc << 8) & 0xffff) ^ CRC16_TABLE[((crc >> 8) ^ byte) & 0xff]!;
  }
  return crc;
}

/**
 * The part of a key Redis Cluster hashes: the text between the first `{` and the next `}` when
 * it is not empty, otherwise the whole key.
 * @internal
 */
export function hashedPart(key: string): string {
  const open = key.indexOf('{');
  if (open === -1) return key;
  const close = key.indexOf('}', open + 1);
  if (close === -1 || close === open + 1) return key;
  return key.slice(open + 1, close);
}

/** Whether `text` holds a complete, non-empty `{hash tag}`. @internal */
export function hasHashTag(text: string): boolean {
  return hashedPart(text) !== text;
}

/**
 * The Cluster slot of a key, as Redis computes it (the CRC16 of the UTF-8 bytes of its hashed
 * part). Encodes on the fly, without a Buffer: it runs for every lock operation.
 * @internal
 */
export function keySlot(key: string): number {
  const part = hashedPart(key);
  let crc = 0;
  for (let i = 0; i < part.length; i++) {
    let code = part.charCodeAt(i);
    if (code < 0x80) {
      crc = ((crc << 8) & 0xffff) ^ CRC16_TABLE[((crc >> 8) ^ code) & 0xff]!;
      continue;
    }
    if (code >= 0xd800 && code <= 0xdbff && i + 1 < part.length) {
      const low = part.charCodeAt(i + 1);
      if (low >= 0xdc00 && low <= 0xdfff) {
        code = 0x10000 + ((code - 0xd800) << 10) + (low - 0xdc00);
        i++;
      }
    }
    // A lone surrogate is encoded as U+FFFD, as Buffer.from would (keys are checked for them).
    if (code >= 0xd800 && code <= 0xdfff) code = 0xfffd;
    const bytes =
      code < 0x800
        ? [0xc0 | (code >> 6), 0x80 | (code & 0x3f)]
        : code < 0x10000
          ? [0xe0 | (code >> 12), 0x80 | ((code >> 6) & 0x3f), 0x80 | (code & 0x3f)]
          : [
              0xf0 | (code >> 18),
              0x80 | ((code >> 12) & 0x3f),
              0x80 | ((code >> 6) & 0x3f),
              0x80 | (code & 0x3f),
            ];
    for (const byte of bytes) {
      crc = ((crc << 8) & 0xffff) ^ CRC16_TABLE[((crc >> 8) ^ byte) & 0xff]!;
    }
  }
  return crc % CLUSTER_SLOTS;
}

let slotTags: string[] | undefined;

/**
 * A short string whose slot is `slot`, so that `{tag}` pins a bookkeeping key (a fencing
 * counter) to the slot of the locks it serves. Built once, on first use: about 170,000 CRCs.
 * @internal
 */
export function tagForSlot(slot: number): string {
  if (!slotTags) {
    const tags = new Array<string>(CLUSTER_SLOTS);
    let missing = CLUSTER_SLOTS;
    for (let n = 0; missing > 0; n++) {
      const tag = n.toString(36);
      const s = crc16(Buffer.from(tag, 'latin1')) % CLUSTER_SLOTS;
      if (tags[s] === undefined) {
        tags[s] = tag;
        missing--;
      }
    }
    slotTags = tags;
  }
  return slotTags[slot]!;
}

/**
 * Keys grouped by Cluster slot, groups in slot order and keys sorted within a group: the
 * canonical order in which a lock spread over several slots takes them, one group (one atomic
 * script) after the other.
 * @internal
 */
export function groupKeysBySlot(keys: readonly string[], clientPrefix: string): string[][] {
  const groups = new Map<number, string[]>();
  for (const key of keys) {
    const slot = keySlot(clientPrefix + key);
    const group = groups.get(slot);
    if (group) group.push(key);
    else groups.set(slot, [key]);
  }
  return [...groups.entries()].sort(([a], [b]) => a - b).map(([, group]) => group.sort());
}
