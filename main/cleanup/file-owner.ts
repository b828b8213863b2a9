// Who owns a file and whether we may remove it, in words: the user name (from
// /etc/passwd), the mode, and the rule that stops us, for a report instead of a failure.
import { accessSync, constants, readFileSync, statSync, type Stats } from 'node:fs';
import { dirname } from 'node:path';

export interface FileOwner {
  uid: number;
  /** User name, or "uid N" when /etc/passwd does not name it. */
  user: string;
  /** Permission bits as octal text, e.g. "0644". */
  mode: string;
}

let names: Map<number, string> | null = null;

/** The user name of `uid` from /etc/passwd (read once). */
export function userName(uid: number): string {
  if (names === null) {
    names = new Map();
    try {
      for (const line of readFileSync('/etc/passwd', 'utf8').split('\n')) {
        const [name, , id] = line.split(':');
        if (name && id && /^\d+$/.test(id) && !names.has(Number(id))) names.set(Number(id), name);
      }
    } catch {
      // no passwd file (some containers): numbers only
    }
  }
  return names.get(uid) ?? `uid ${uid}`;
}

export function ownerOf(st: Pick<Stats, 'uid' | 'mode'>): FileOwner {
  return { uid: st.uid, user: userName(st.uid), mode: `0${(st.mode & 0o7777).toString(8).padStart(3, '0')}` };
}

/** "owned by alice (uid 1000), mode 0644": the words of a permission report. */
export function describeOwner(o: FileOwner): string {
  return `owned by ${o.user} (uid ${o.uid}), mode ${o.mode}`;
}

/**
 * Why this process cannot unlink `path`, or null when the permission bits allow it
 * (the kernel may still refuse: an immutable file, a read-only mount; remove reports those).
 */
export function removalBlocker(path: string, st: Pick<Stats, 'uid'>): string | null {
  const dir = dirname(path);
  try {
    accessSync(dir, constants.W_OK | constants.X_OK);
  } catch {
    return `the directory ${dir} is not writable by this user`;
  }
  const uid = process.getuid?.() ?? 0;
  if (uid === 0) return null;
  try {
    const d = statSync(dir);
    // Sticky directories (/dev/shm, /tmp): only the file's or the directory's owner may unlink.
    if (d.mode & 0o1000 && st.uid !== uid && d.uid !== uid) {
      return `${dir} is sticky: only the file's owner or root can remove it`;
    }
  } catch {
    return `cannot read ${dir}`;
  }
  return null;
}
