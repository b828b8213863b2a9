// Z85 (ZeroMQ RFC 32), the text form of CURVE keys: 32 bytes as 40 printable
// characters. zeromq.js makes key pairs in Z85 but does not export the codec, and
// fingerprints and the HELLO proof need the raw bytes.
const ALPHABET = '0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#';
const DECODE = new Map<string, number>([...ALPHABET].map((c, i) => [c, i]));

/** A CURVE key in Z85: exactly 40 characters of the Z85 alphabet. */
export const Z85_KEY_PATTERN = '^[0-9a-zA-Z.\\-:+=^!/*?&<>()\\[\\]{}@%$#]{40}$';
const KEY_RE = new RegExp(Z85_KEY_PATTERN);

export function isZ85Key(text: string): boolean {
  return KEY_RE.test(text);
}

export function z85Encode(bytes: Uint8Array): string {
  if (bytes.length % 4 !== 0) throw new RangeError(`Z85 encodes multiples of 4 bytes, got ${bytes.length}`);
  let out = '';
  for (let i = 0; i < bytes.length; i += 4) {
    let value = ((bytes[i]! << 24) >>> 0) + (bytes[i + 1]! << 16) + (bytes[i + 2]! << 8) + bytes[i + 3]!;
    const chunk: string[] = [];
    for (let j = 0; j < 5; j++) {
      chunk.unshift(ALPHABET[value % 85]!);
      value = Math.floor(value / 85);
    }
    out += chunk.join('');
  }
  return out;
}

export function z85Decode(text: string): Buffer {
  if (text.length % 5 !== 0) throw new RangeError(`Z85 text has a multiple of 5 characters, got ${text.length}`);
  const out = Buffer.alloc((text.length / 5) * 4);
  for (let i = 0, o = 0; i < text.length; i += 5, o += 4) {
    let value = 0;
    for (let j = 0; j < 5; j++) {
      const digit = DECODE.get(text[i + j]!);
      if (digit === undefined) throw new RangeError(`${JSON.stringify(text[i + j])} is not a Z85 character`);
      value = value * 85 + digit;
    }
    if (value > 0xffffffff) throw new RangeError('Z85 text encodes a value over 32 bits');
    out.writeUInt32BE(value, o);
  }
  return out;
}
