// The WebSocket bridge's door: real HTTP server, real WebSocket clients.
import { connect } from 'node:net';
import { hostname } from 'node:os';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startHttpBridge, type HttpBridge } from '../../main/bridge/http-bridge.js';
import { startCore, type HubScopeCore } from '../../main/core/hubscope-core.js';
import { rendererDist } from '../../main/paths.js';

let core: HubScopeCore | undefined;
let bridge: HttpBridge | undefined;

afterEach(async () => {
  await bridge?.close();
  await core?.close();
  bridge = core = undefined;
});

/** token null: none (loopback only); the tests of the token pass one. */
async function start(host = '127.0.0.1', token: string | null = null): Promise<HttpBridge> {
  core = await startCore({
    shell: 'browser',
    services: { broker: { mode: 'off' }, discovery: null, sampleIntervalMs: 1000 },
  });
  bridge = await startHttpBridge(core, { host, port: 0, staticRoot: rendererDist(), token });
  return bridge;
}

/** Opens a WebSocket and resolves with 'open' or the HTTP status of the refusal. */
function tryConnect(url: string, headers: Record<string, string> = {}): Promise<string> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, { headers });
    ws.on('open', () => {
      ws.close();
      resolve('open');
    });
    ws.on('unexpected-response', (_req, res) => resolve(String(res.statusCode)));
    ws.on('error', (err) => resolve(`error: ${err.message}`));
  });
}

function request(ws: WebSocket, frame: unknown): Promise<Record<string, unknown>> {
  return new Promise((resolve) => {
    ws.once('message', (data) => resolve(JSON.parse(data.toString()) as Record<string, unknown>));
    ws.send(typeof frame === 'string' ? frame : JSON.stringify(frame));
  });
}

describe('bridge access policy', () => {
  it('on loopback with --no-token accepts same-origin and origin-less clients, refuses foreign origins and hosts', async () => {
    const b = await start();
    const ws = `ws://127.0.0.1:${b.port}/ws`;
    expect(b.token).toBeNull();
    expect(await tryConnect(ws)).toBe('open');
    expect(await tryConnect(ws, { origin: `http://127.0.0.1:${b.port}` })).toBe('open');
    expect(await tryConnect(ws, { origin: 'http://evil.example' })).toBe('403');
    expect(await tryConnect(ws, { origin: 'null' })).toBe('403');
    expect(await tryConnect(ws, { host: 'rebound.example:80' })).toBe('403');
    expect(await tryConnect(`ws://127.0.0.1:${b.port}/other`)).toBe('403');
  });

  it('on loopback checks Host and Origin as well as the token', async () => {
    const token = 'a-loopback-token-long-enough-too';
    const b = await start('127.0.0.1', token);
    const ws = `ws://127.0.0.1:${b.port}/ws`;
    expect(b.url).toBe(`http://127.0.0.1:${b.port}/?token=${token}`);
    expect(await tryConnect(ws)).toBe('403');
    expect(await tryConnect(`${ws}?token=${token}`)).toBe('open');
    expect(await tryConnect(`${ws}?token=${token}`, { origin: 'http://evil.example' })).toBe('403');
    expect(await tryConnect(`${ws}?token=${token}`, { host: 'rebound.example:80' })).toBe('403');
  });

  it('off loopback requires the access token on every connection', async () => {
    const token = 'a-test-token-that-is-long-enough';
    const b = await start('0.0.0.0', token);
    expect(b.token).toBe(token);
    // A wildcard bind is handed out under this machine's name, with the token.
    expect(b.url).toBe(`http://${hostname()}:${b.port}/?token=${token}`);
    const ws = `ws://127.0.0.1:${b.port}/ws`;
    expect(await tryConnect(ws)).toBe('403');
    expect(await tryConnect(`${ws}?token=wrong-token-of-the-same-size!!!!`)).toBe('403');
    expect(await tryConnect(`${ws}?token=${token}`)).toBe('open');
    expect(await tryConnect(ws, { cookie: `hubscope_token=${token}` })).toBe('open');
    const page = await fetch(`http://127.0.0.1:${b.port}/`);
    expect(page.status).toBe(403);
    const withToken = await fetch(`http://127.0.0.1:${b.port}/?token=${token}`);
    expect(withToken.headers.get('set-cookie')).toContain('hubscope_token=');
  });
});

describe('bridge requests', () => {
  it('answers the contract and turns bad frames into errors without closing', async () => {
    const b = await start();
    const ws = new WebSocket(`ws://127.0.0.1:${b.port}/ws`);
    await new Promise((resolve) => ws.once('open', resolve));
    const info = await request(ws, { t: 'req', id: 1, method: 'app.info', params: null });
    expect(info).toMatchObject({ t: 'res', id: 1, ok: true });
    expect((info.result as { pid: number }).pid).toBe(process.pid);

    expect(await request(ws, 'not json')).toMatchObject({ ok: false, error: { code: 'BAD_REQUEST' } });
    expect(await request(ws, { t: 'req', id: 2, method: 'no.such', params: null })).toMatchObject({
      id: 2,
      ok: false,
      error: { code: 'BAD_REQUEST', message: 'Unknown method "no.such".' },
    });
    expect(await request(ws, { t: 'req', id: 3, method: 'app.info', params: { x: 1 } })).toMatchObject({
      id: 3,
      error: { code: 'BAD_REQUEST' },
    });
    expect(await request(ws, { t: 'req', id: 4, method: 'datablock.inspect', params: { name: '' } })).toMatchObject({
      id: 4,
      error: { code: 'BAD_REQUEST' },
    });
    const again = await request(ws, { t: 'req', id: 5, method: 'app.info', params: null });
    expect(again).toMatchObject({ id: 5, ok: true });
    ws.close();
  });

  it('drops a client that sends an oversized frame and keeps serving others', async () => {
    const b = await start();
    const url = `ws://127.0.0.1:${b.port}/ws`;
    const abuser = new WebSocket(url);
    await new Promise((resolve) => abuser.once('open', resolve));
    const closed = new Promise<number>((resolve) => abuser.once('close', (code) => resolve(code)));
    abuser.send('x'.repeat(256 * 1024));
    expect(await closed).toBe(1009);
    const polite = new WebSocket(url);
    await new Promise((resolve) => polite.once('open', resolve));
    expect(await request(polite, { t: 'req', id: 1, method: 'app.info', params: null })).toMatchObject({ ok: true });
    polite.close();
  });
});

describe('bridge under a client that stops reading', () => {
  it('skips pushes to it instead of queueing without bound, then catches it up with the latest state', async () => {
    const b = await start();
    // A raw WebSocket client: handshake, then stop reading (like a suspended tab).
    const socket = connect(b.port, '127.0.0.1');
    await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
    socket.write(
      'GET /ws HTTP/1.1\r\nHost: 127.0.0.1:' +
        b.port +
        '\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n',
    );
    let received = '';
    socket.on('data', (d: Buffer) => (received += d.toString('latin1')));
    await new Promise<void>((resolve) => setTimeout(resolve, 100));
    expect(received).toContain('101 Switching Protocols');
    socket.pause();

    // 40 distinct 1 MiB states of a topic while the client reads nothing.
    const big = (n: number) => [{ channel: `ch-${n}`, padding: 'x'.repeat(1 << 20) }] as never;
    for (let n = 0; n < 40; n++) {
      core!.bus.publish('channels', big(n));
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    received = '';
    socket.resume();
    await new Promise<void>((resolve) => setTimeout(resolve, 500));
    core!.bus.publish('channels', [{ channel: 'final' }] as never);
    await new Promise<void>((resolve) => setTimeout(resolve, 500));
    socket.destroy();
    const pushed = received.match(/"ch-\d+"/g) ?? [];
    expect(pushed.length).toBeGreaterThan(0);
    expect(pushed.length).toBeLessThan(40); // some states were skipped, not queued
    expect(received).toContain('"final"'); // and the client still ends with the latest state
  });
});
