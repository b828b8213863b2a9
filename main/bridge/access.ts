// Who may talk to `hubscope serve`. Every connection needs the access token
// printed at start (in the URL, then an HttpOnly cookie), on loopback too: any
// local user or process can connect to 127.0.0.1, and the contract reads what
// this user can read. Only `--no-token` on loopback (a single-user machine) turns
// it off. On loopback the Host and Origin headers must also name this server, so
// a web page in the user's browser cannot reach it through DNS rebinding or a
// cross-site WebSocket.
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

export const TOKEN_COOKIE = 'hubscope_token';

export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  return h === 'localhost' || h === '::1' || /^127(\.\d{1,3}){3}$/.test(h);
}

export function newAccessToken(): string {
  return randomBytes(24).toString('base64url');
}

export interface AccessPolicy {
  /** null: no token required (only ever on loopback, with --no-token). */
  token: string | null;
  /** Port the server listens on, for Host/Origin checks. */
  port: number;
  /** Address the server is bound to. */
  bindHost: string;
}

function sameToken(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

function tokenFrom(req: IncomingMessage): string | null {
  const url = new URL(req.url ?? '/', 'http://placeholder');
  const fromQuery = url.searchParams.get('token');
  if (fromQuery) return fromQuery;
  const cookie = req.headers.cookie ?? '';
  for (const part of cookie.split(';')) {
    const [k, ...v] = part.trim().split('=');
    if (k === TOKEN_COOKIE) return decodeURIComponent(v.join('='));
  }
  return null;
}

/** Hosts under which a loopback server may legitimately be addressed. */
function allowedHostHeaders(policy: AccessPolicy): Set<string> {
  const p = policy.port;
  const hosts = new Set([`127.0.0.1:${p}`, `localhost:${p}`, `[::1]:${p}`]);
  if (!isLoopbackHost(policy.bindHost)) hosts.add(`${policy.bindHost}:${p}`);
  return hosts;
}

/** Returns null when the request may proceed, else the reason it is refused. */
export function refusal(req: IncomingMessage, policy: AccessPolicy): string | null {
  if (isLoopbackHost(policy.bindHost)) {
    const host = (req.headers.host ?? '').toLowerCase();
    if (!allowedHostHeaders(policy).has(host)) return `Host header "${host}" does not name this server.`;
  }
  if (policy.token !== null) {
    const token = tokenFrom(req);
    if (token === null) return 'An access token is required (open the URL printed by `hubscope serve`).';
    if (!sameToken(token, policy.token)) return 'The access token is wrong.';
  }
  const origin = req.headers.origin;
  // Browsers always send Origin on WebSocket upgrades; tools like curl do not.
  // "null" (file:// pages, sandboxed frames) is refused like any foreign origin.
  if (origin !== undefined) {
    let originHost: string;
    try {
      originHost = new URL(origin).host.toLowerCase();
    } catch {
      return `Origin "${origin}" is not a URL.`;
    }
    if (originHost !== (req.headers.host ?? '').toLowerCase()) {
      return `Requests from ${origin} are not allowed.`;
    }
  }
  return null;
}
