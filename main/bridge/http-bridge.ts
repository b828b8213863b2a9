// Browser mode's server: the built renderer over HTTP and the HubScope contract over
// a WebSocket at /ws. Every connection passes the access policy first.
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { hostname } from 'node:os';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import { encodeBinaryFrame, holdsTypedArray } from '../../preload/binary-frame.js';
import { TOPICS, type WsRequestFrame, type WsServerFrame } from '../../preload/contract.js';
import type { HubScopeCore } from '../core/hubscope-core.js';
import { isLoopbackHost, newAccessToken, refusal, TOKEN_COOKIE, type AccessPolicy } from './access.js';
import { serveStatic } from './static-files.js';

/** Largest request frame a renderer sends is a few hundred bytes; anything near this is abuse. */
const MAX_FRAME_BYTES = 64 * 1024;
/** Unsent bytes a slow client may have queued before topic pushes to it are skipped. */
const MAX_BUFFERED_BYTES = 4 * 1024 * 1024;

export interface HttpBridgeOptions {
  host: string;
  port: number;
  staticRoot: string;
  /**
   * The access token: omitted, a generated one; a string, that one; null, none
   * (refused unless `host` is loopback; for single-user machines only).
   */
  token?: string | null;
}

export interface HttpBridge {
  readonly url: string;
  readonly host: string;
  readonly port: number;
  readonly token: string | null;
  close(): Promise<void>;
}

export async function startHttpBridge(core: HubScopeCore, options: HttpBridgeOptions): Promise<HttpBridge> {
  if (options.token === null && !isLoopbackHost(options.host)) {
    throw new Error(`an access token is required when serving on ${options.host} (not a loopback address)`);
  }
  const token = options.token === undefined ? newAccessToken() : options.token;
  const policy: AccessPolicy = { token, port: options.port, bindHost: options.host };

  const server: Server = createServer((req, res) => {
    const why = refusal(req, policy);
    if (why) {
      res.writeHead(403, { 'content-type': 'text/plain; charset=utf-8' }).end(why);
      return;
    }
    const url = new URL(req.url ?? '/', 'http://placeholder');
    if (token && url.searchParams.get('token') === token) {
      res.setHeader('set-cookie', `${TOKEN_COOKIE}=${token}; HttpOnly; SameSite=Strict; Path=/`);
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405).end();
      return;
    }
    serveStatic(options.staticRoot, url.pathname, res).catch(() => {
      if (!res.headersSent) res.writeHead(500);
      res.end();
    });
  });

  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_FRAME_BYTES });
  server.on('upgrade', (req: IncomingMessage, socket, head) => {
    const why = new URL(req.url ?? '/', 'http://placeholder').pathname === '/ws' ? refusal(req, policy) : 'Not found';
    if (why) {
      socket.end(`HTTP/1.1 403 Forbidden\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\n${why}`);
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => serveConnection(core, ws));
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  policy.port = port;
  // A wildcard bind is reached through this machine's name, which is what to hand out.
  const reachableAs = options.host === '0.0.0.0' || options.host === '::' ? hostname() : options.host;
  const hostInUrl = reachableAs.includes(':') ? `[${reachableAs}]` : reachableAs;
  const url = `http://${hostInUrl}:${port}/` + (token ? `?token=${token}` : '');

  return {
    url,
    host: options.host,
    port,
    token,
    async close() {
      for (const client of wss.clients) client.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function serveConnection(core: HubScopeCore, ws: WebSocket): void {
  const send = (frame: WsServerFrame) => {
    if (ws.readyState !== ws.OPEN) return;
    // Live data (typed arrays, only ever in a response) goes as one binary frame; everything
    // else as JSON text. Topic pushes are not searched for arrays: they are large and never hold any.
    const binary = frame.t === 'res' && frame.ok && holdsTypedArray(frame.result);
    ws.send(binary ? encodeBinaryFrame(frame) : JSON.stringify(frame));
  };
  // Topic pushes are whole states, so a client that stops reading (a suspended tab,
  // a stalled network) can skip some: nothing is queued for it past MAX_BUFFERED_BYTES,
  // and once it drains it is sent the latest of every topic again.
  let behind = false;
  const unsubscribe = core.bus.subscribe((topic, value) => {
    if (ws.bufferedAmount > MAX_BUFFERED_BYTES) {
      behind = true;
      return;
    }
    if (behind) {
      behind = false;
      for (const t of TOPICS) send({ t: 'evt', topic: t, value: core.bus.latest(t) });
      return;
    }
    send({ t: 'evt', topic, value });
  });
  ws.on('close', unsubscribe);
  ws.on('error', () => ws.terminate());
  ws.on('message', (data, isBinary) => {
    const frame = parseRequest(isBinary ? null : data.toString());
    if (!frame) {
      send({
        t: 'res',
        id: -1,
        ok: false,
        error: { code: 'BAD_REQUEST', message: 'Frames must be JSON {t:"req", id, method, params}.' },
      });
      return;
    }
    void core.router
      .handle(frame.method, frame.params)
      .then((response) => send({ t: 'res', id: frame.id, ...response }));
  });
}

function parseRequest(text: string | null): WsRequestFrame | null {
  if (text === null) return null;
  try {
    const value = JSON.parse(text) as Partial<WsRequestFrame> | null;
    if (value && value.t === 'req' && Number.isSafeInteger(value.id) && typeof value.method === 'string') {
      return { t: 'req', id: value.id as number, method: value.method, params: value.params ?? null };
    }
  } catch {
    // fall through
  }
  return null;
}
