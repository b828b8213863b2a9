// Atomic replacement of a file: write a hidden temporary file in the same
// directory, then rename it over the final name. rename(2) within one directory
// is atomic on local filesystems and on NFS/SMB, so a reader sees the old file
// or the new one, never a half-written one. No fsync: a descriptor lost in a
// power cut is rewritten by the next heartbeat, and fsync on a network share is slow.
import { promises as fsp, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempFileName } from './names.js';

/** Files are readable by everyone: other users' HubScope read a shared directory. */
export const DISCOVERY_FILE_MODE = 0o644;

export function writeFileAtomicSync(dir: string, name: string, text: string): void {
  const temp = join(dir, tempFileName(name));
  try {
    writeFileSync(temp, text, { mode: DISCOVERY_FILE_MODE, flag: 'wx' });
    renameSync(temp, join(dir, name));
  } catch (err) {
    try {
      unlinkSync(temp);
    } catch {
      /* the temp file was never made or is already gone */
    }
    throw err;
  }
}

export async function writeFileAtomic(dir: string, name: string, text: string): Promise<void> {
  const temp = join(dir, tempFileName(name));
  try {
    await fsp.writeFile(temp, text, { mode: DISCOVERY_FILE_MODE, flag: 'wx' });
    await fsp.rename(temp, join(dir, name));
  } catch (err) {
    await fsp.unlink(temp).catch(() => undefined);
    throw err;
  }
}
