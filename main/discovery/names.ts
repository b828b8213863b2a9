// File names in the discovery directory. A file's name says what it is, so the
// watcher can ignore everything else without reading it:
//   <channel>.channel.json     one channel descriptor (channel name encoded, see below)
//   broker.<host>.<pid>.json   one broker endpoint file
//   .<name>.<pid>.<random>.tmp a writer's temporary file before its atomic rename
//
// Channel names such as "lab.demo.counter" are used as they are; characters that
// are not safe in a file name (anything but letters, digits, ".", "-", "_") and a
// leading "." are percent-encoded, so the mapping is reversible.

export const CHANNEL_SUFFIX = '.channel.json';
const BROKER_RE = /^broker\.(.+)\.(\d+)\.json$/;
const SAFE_RE = /[A-Za-z0-9_-]/;

export function encodeNamePart(text: string): string {
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const ch = text[i] as string;
    // "." is safe except at the start (hidden files are writers' temp files).
    if (SAFE_RE.test(ch) || (ch === '.' && i > 0)) out += ch;
    else out += encodeChar(ch).replace(/[!'()*~.]/g, (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase());
  }
  return out;
}

function encodeChar(ch: string): string {
  try {
    return encodeURIComponent(ch);
  } catch {
    return '%EF%BF%BD'; // a lone UTF-16 surrogate: write U+FFFD rather than throw
  }
}

/** Inverse of encodeNamePart; undefined when the text is not a valid encoding. */
export function decodeNamePart(text: string): string | undefined {
  try {
    return decodeURIComponent(text);
  } catch {
    return undefined;
  }
}

export function descriptorFileName(channel: string): string {
  return encodeNamePart(channel) + CHANNEL_SUFFIX;
}

export function brokerFileName(host: string, pid: number): string {
  return `broker.${encodeNamePart(host)}.${pid}.json`;
}

/** A writer's temporary file: hidden (leading ".") and ending in ".tmp". */
export function tempFileName(finalName: string): string {
  const random = Math.random().toString(36).slice(2, 10);
  return `.${finalName}.${process.pid}.${random}.tmp`;
}

export type DiscoveryFileName =
  | { kind: 'channel'; channel: string }
  | { kind: 'broker'; host: string; pid: number }
  | { kind: 'ignored' } // hidden files, temp files: never reported
  | { kind: 'unknown' }; // anything else: reported as a problem, never read

export function classifyFileName(name: string): DiscoveryFileName {
  if (name.startsWith('.') || name.endsWith('.tmp') || name.endsWith('~')) return { kind: 'ignored' };
  if (name.endsWith(CHANNEL_SUFFIX) && name.length > CHANNEL_SUFFIX.length) {
    const channel = decodeNamePart(name.slice(0, -CHANNEL_SUFFIX.length));
    return channel === undefined ? { kind: 'unknown' } : { kind: 'channel', channel };
  }
  const m = BROKER_RE.exec(name);
  if (m) {
    const host = decodeNamePart(m[1] as string);
    const pid = Number(m[2]);
    if (host !== undefined && Number.isSafeInteger(pid)) return { kind: 'broker', host, pid };
  }
  return { kind: 'unknown' };
}
