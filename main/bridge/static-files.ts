// Serves the built renderer (dist/renderer). Only regular files whose real path
// (symbolic links resolved) lies inside the root are served, opened without
// blocking (a FIFO there cannot stall the server); unknown paths fall back to
// index.html so the app's own navigation works.
import { constants, createReadStream } from 'node:fs';
import { open, realpath } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import type { ServerResponse } from 'node:http';
import { extname, isAbsolute, join, normalize, relative, sep } from 'node:path';

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.map': 'application/json',
};

export const CONTENT_SECURITY_POLICY =
  "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; " +
  "connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'none'";

function inside(root: string, path: string): boolean {
  const rel = relative(root, path);
  return rel !== '' && !rel.startsWith('..') && !isAbsolute(rel);
}

/** Opens `file` when its real path is a regular file inside `realRoot`; null otherwise (never throws, never blocks). */
async function openServable(realRoot: string, file: string): Promise<{ handle: FileHandle; size: number } | null> {
  const real = await realpath(file).catch(() => null);
  if (real === null || !inside(realRoot, real)) return null;
  const handle = await open(real, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOFOLLOW).catch(() => null);
  if (!handle) return null;
  const info = await handle.stat().catch(() => null);
  if (info?.isFile()) return { handle, size: info.size };
  await handle.close();
  return null;
}

export async function serveStatic(root: string, pathname: string, res: ServerResponse): Promise<void> {
  let rel: string;
  try {
    rel = normalize(decodeURIComponent(pathname)).replace(/^([/\\])+/, '');
  } catch {
    res.writeHead(400).end('Bad path');
    return;
  }
  let file = join(root, rel);
  if (file !== root && !file.startsWith(root + sep)) {
    res.writeHead(403).end('Forbidden');
    return;
  }
  const realRoot = await realpath(root).catch(() => null);
  let found = realRoot === null ? null : await openServable(realRoot, file);
  if (!found && realRoot !== null) {
    file = join(root, 'index.html');
    found = await openServable(realRoot, file);
  }
  if (!found) {
    res
      .writeHead(503, { 'content-type': 'text/plain; charset=utf-8' })
      .end('The HubScope UI is not built. Run `npm run build`, then reload.');
    return;
  }
  res.writeHead(200, {
    'content-type': CONTENT_TYPES[extname(file)] ?? 'application/octet-stream',
    'content-length': found.size,
    'content-security-policy': CONTENT_SECURITY_POLICY,
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
    'cache-control': file.endsWith('index.html') ? 'no-cache' : 'public, max-age=3600',
  });
  createReadStream('', { fd: found.handle, start: 0, end: Math.max(0, found.size - 1) }).pipe(res);
}
