// Where the discovery directory is, and creating it with sensible permissions.
import { accessSync, constants, mkdirSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

export const DISCOVERY_DIR_ENV = 'HUBSCOPE_DISCOVERY_DIR';

export interface DiscoveryDirChoice {
  dir: string;
  /** Why this directory: shown in the status bar and by `hubscope discovery`. */
  source: 'option' | 'env' | 'xdg-runtime' | 'home';
  /** A per-user default (created 0700) rather than a directory the user named (maybe shared). */
  perUser: boolean;
}

/**
 * The directory to use: an explicit option, else $HUBSCOPE_DISCOVERY_DIR, else
 * $XDG_RUNTIME_DIR/hubscope/discovery, else ~/.hubscope/discovery.
 */
export function chooseDiscoveryDir(option?: string, env: NodeJS.ProcessEnv = process.env): DiscoveryDirChoice {
  if (option) return { dir: option, source: 'option', perUser: false };
  const fromEnv = env[DISCOVERY_DIR_ENV];
  if (fromEnv) return { dir: fromEnv, source: 'env', perUser: false };
  const xdg = env.XDG_RUNTIME_DIR;
  if (xdg) return { dir: join(xdg, 'hubscope', 'discovery'), source: 'xdg-runtime', perUser: true };
  return { dir: join(homedir(), '.hubscope', 'discovery'), source: 'home', perUser: true };
}

export function defaultDiscoveryDir(env: NodeJS.ProcessEnv = process.env): string {
  return chooseDiscoveryDir(undefined, env).dir;
}

/**
 * Creates the directory when it is missing; never changes an existing one.
 * Per-user defaults are made 0700 (nobody else can plant descriptors there).
 * A directory the user named may be shared with other users and hosts, so it is
 * made 0755 (minus umask): readable by all, writable by its owner. A lab-wide
 * directory should be prepared by an administrator as 1777 or 3775 (docs/discovery.md).
 */
export function ensureDiscoveryDir(dir: string, perUser: boolean): void {
  try {
    if (statSync(dir).isDirectory()) return;
    throw new Error(`discovery directory ${dir} exists but is not a directory`);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  mkdirSync(dir, { recursive: true, mode: perUser ? 0o700 : 0o755 });
}

/**
 * Throws an error naming the directory when it cannot be looked at: missing,
 * not a directory, or not readable. For commands that only look (and so never
 * create it).
 */
export function checkDiscoveryDir(dir: string): void {
  try {
    if (!statSync(dir).isDirectory()) throw new Error(`discovery directory ${dir} is not a directory`);
    accessSync(dir, constants.R_OK | constants.X_OK);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === undefined) throw err;
    if (code === 'ENOENT') throw new Error(`discovery directory ${dir} does not exist`);
    if (code === 'ENOTDIR')
      throw new Error(`discovery directory ${dir} is not a directory (a part of its path is a file)`);
    if (code === 'EACCES' || code === 'EPERM')
      throw new Error(`discovery directory ${dir} is not readable (permission denied)`);
    throw new Error(`cannot use discovery directory ${dir}: ${(err as Error).message}`);
  }
}
