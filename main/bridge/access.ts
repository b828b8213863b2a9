// Who may talk to `hubscope serve`. On loopback nobody else on the network can
// reach the port, so no token is needed; but a web page in the user's browser
// could still try, so the Host and Origin headers must name this server (this
// blocks DNS rebinding and cross-site WebSocket hijacking). Any other bind
// address also requires the access token printed at start.
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
  /** null on loopback: no token required. */
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
  if (policy.token === null) {
    const host = (req.headers.host ?? '').toLowerCase();
    if (!allowedHostHeaders(policy).has(host)) return `Host header "${host}" does not name this server.`;
  } else {
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
