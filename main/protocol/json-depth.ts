// Nesting depth of JSON text, measured on the raw bytes before JSON.parse: a body of
// 262,000 `[` would otherwise make the parser build 262,000 nested arrays (and every
// later walk over it recurse as deep) only to be rejected. The scan stops at the first
// level over the limit, so deeply nested garbage costs a few bytes of reading.

/** Deepest nesting of objects and arrays a message body may have. */
export const MAX_JSON_DEPTH = 64;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACE = 0x7b;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACE = 0x7d;
const CLOSE_BRACKET = 0x5d;

/** True when `text` (UTF-8 JSON, valid or not) nests objects/arrays deeper than `max`. */
export function jsonNestsDeeperThan(text: Uint8Array, max: number): boolean {
  // Depth can never exceed the number of bytes.
  if (text.length <= max) return false;
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (inString) {
      if (c === BACKSLASH) i++;
      else if (c === QUOTE) inString = false;
    } else if (c === QUOTE) {
      inString = true;
    } else if (c === OPEN_BRACE || c === OPEN_BRACKET) {
      if (++depth > max) return true;
    } else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) {
      depth--;
    }
  }
  return false;
}
