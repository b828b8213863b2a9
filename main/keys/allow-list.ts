// The broker's list of client keys allowed to connect (--allow FILE): one Z85 public
// key per line (a key file's `.pub` line), optionally followed by words (whose key it
// is); other lines starting with `#` are comments, blank lines are ignored. The file is watched and reloaded when it changes, without a restart.
import { readFileSync, statSync } from 'node:fs';
import { isZ85Key } from './z85.js';

/** Keys parsed from an allow-list file, or why it could not be used. */
export type AllowListParse = { ok: true; keys: Set<string> } | { ok: false; problem: string };

export function parseAllowList(text: string, path: string): AllowListParse {
  const keys = new Set<string>();
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    // `#` is a Z85 character, so a key may start with it: the first word is a key when
    // it is one (40 Z85 characters); otherwise a line starting with `#` is a comment.
    const word = lines[i]!.trim().split(/\s+/)[0] ?? '';
    if (isZ85Key(word)) {
      keys.add(word);
      continue;
    }
    if (word === '' || word.startsWith('#')) continue;
    return {
      ok: false,
      problem: `${path} line ${i + 1}: not a CURVE public key (40 Z85 characters, as \`hubscope keys gen\` prints)`,
    };
  }
  return { ok: true, keys };
}

export function readAllowList(path: string): AllowListParse {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    return {
      ok: false,
      problem: `cannot read allow-list ${path}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`,
    };
  }
  return parseAllowList(text, path);
}

/** How often the file is looked at; an edit takes effect within this (well under a second). */
export const ALLOW_LIST_POLL_MS = 200;

export interface AllowListWatch {
  readonly keys: ReadonlySet<string>;
  close(): void;
}

/**
 * Loads the allow-list (throwing when it cannot be used at start) and reloads it on
 * change. A file that becomes unreadable or malformed after start refuses every key
 * (fails closed) until it is fixed, and says so through `onProblem`.
 */
export function watchAllowList(
  path: string,
  onChange: (keys: ReadonlySet<string>) => void,
  onProblem: (problem: string) => void,
): AllowListWatch {
  let seen = signature(path);
  const first = readAllowList(path);
  if (!first.ok) throw new Error(first.problem);
  let keys: ReadonlySet<string> = first.keys;
  // Polled rather than fs.watch: editors replace the file (a new inode), which a watch
  // on the old inode misses; one stat of one file every 200 ms costs nothing. Compared
  // with the file as last loaded, so an edit right after start is not missed.
  const timer = setInterval(() => {
    const now = signature(path);
    if (now === seen) return;
    seen = now;
    const next = readAllowList(path);
    if (next.ok) {
      keys = next.keys;
    } else {
      keys = new Set();
      onProblem(`${next.problem}; refusing every client key until it is fixed`);
    }
    onChange(keys);
  }, ALLOW_LIST_POLL_MS);
  timer.unref();
  return {
    get keys() {
      return keys;
    },
    close: () => clearInterval(timer),
  };
}

/** What changes when the file is edited or replaced ('' when it cannot be read). */
function signature(path: string): string {
  try {
    const st = statSync(path);
    return `${st.ino}:${st.size}:${st.mtimeMs}:${st.ctimeMs}`;
  } catch {
    return '';
  }
}
