// What a client of `hubscope serve` can make HubScope read: a real server, a real
// WebSocket, real files in /dev/shm and on disk. Every refusal is an error that
// names the rule, and no byte of the file it refused comes back.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startHttpBridge, type HttpBridge } from '../../main/bridge/http-bridge.js';
import { startCore, type HubScopeCore } from '../../main/core/hubscope-core.js';
import { createDataBlock } from '../../main/datablock/writer.js';
import { VECTOR_SCHEMA, uniqueName, unlinkQuietly } from './datablock-helpers.js';

const SECRET = `hubscope-secret-${process.pid}-${Date.now()}`;
const root = mkdtempSync(join(tmpdir(), 'hubscope-security-'));
const discoveryDir = join(root, 'discovery');
const schemaDir = join(root, 'schemas');
const outsideDir = join(root, 'outside');
const staticRoot = join(root, 'static');
for (const d of [discoveryDir, schemaDir, outsideDir, staticRoot]) mkdirSync(d);
const secretFile = join(outsideDir, 'secret.txt');
writeFileSync(secretFile, `${SECRET}\n`.repeat(400)); // larger than a DataBlock header

const shm = {
  link: uniqueName('sec-link'),
  fifo: uniqueName('sec-fifo'),
  plain: uniqueName('sec-plain'),
  small: uniqueName('sec-small'),
  real: uniqueName('sec-real'),
};

let core: HubScopeCore;
let bridge: HttpBridge;
let ws: WebSocket;
let nextId = 1;

function call(method: string, params: unknown): Promise<{ ok: boolean; text: string; message: string }> {
  const id = nextId++;
  return new Promise((resolve) => {
    const onMessage = (data: WebSocket.RawData) => {
      const text = data.toString();
      const frame = JSON.parse(text) as { t: string; id?: number; ok?: boolean; error?: { message: string } };
      if (frame.t !== 'res' || frame.id !== id) return;
      ws.off('message', onMessage);
      resolve({ ok: frame.ok === true, text, message: frame.error?.message ?? '' });
    };
    ws.on('message', onMessage);
    ws.send(JSON.stringify({ t: 'req', id, method, params }));
  });
}

beforeAll(async () => {
  symlinkSync(secretFile, `/dev/shm/${shm.link}`);
  execFileSync('mkfifo', [`/dev/shm/${shm.fifo}`]);
  writeFileSync(`/dev/shm/${shm.plain}`, `${SECRET}\n`.repeat(400));
  writeFileSync(`/dev/shm/${shm.small}`, SECRET);
  core = await startCore({
    shell: 'browser',
    services: {
      broker: { mode: 'off' },
      discovery: { dir: discoveryDir, source: 'option', perUser: false, pollIntervalMs: null },
      sampleIntervalMs: 1000,
      schemaDirs: [schemaDir],
    },
  });
  bridge = await startHttpBridge(core, { host: '127.0.0.1', port: 0, staticRoot });
  ws = new WebSocket(`ws://127.0.0.1:${bridge.port}/ws?token=${bridge.token}`);
  await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
});

afterAll(async () => {
  ws?.close();
  await bridge?.close();
  await core?.close();
  for (const name of Object.values(shm)) unlinkQuietly(name);
  rmSync(root, { recursive: true, force: true });
});

describe('datablock.inspect only ever reads a DataBlock segment in /dev/shm', () => {
  it.each([
    ['/etc/shadow', 'not a shared-memory segment name'],
    ['../../etc/passwd', 'not a shared-memory segment name'],
    ['/etc/passwd', 'not a shared-memory segment name'],
    [secretFile, 'not a shared-memory segment name'],
    ['..', 'not a shared-memory segment name'],
  ])('refuses the path %s without opening it', async (name, why) => {
    const r = await call('datablock.inspect', { name });
    expect(r.ok).toBe(false);
    expect(r.message).toContain(why);
    expect(r.text).not.toContain(SECRET);
    expect(r.text).not.toContain('root:');
  });

  it('refuses a symbolic link, a FIFO and files without the PLHB magic, showing none of their bytes', async () => {
    const link = await call('datablock.inspect', { name: shm.link });
    expect(link.message).toContain('symbolic link');
    const fifo = await call('datablock.inspect', { name: shm.fifo }); // returns: opening did not block
    expect(fifo.message).toContain('is not a DataBlock: it is a FIFO');
    const plain = await call('datablock.inspect', { name: shm.plain });
    expect(plain.message).toBe(
      `${shm.plain} is not a DataBlock: no PLHB magic (not a DataBlock, or one still being created)`,
    );
    const small = await call('datablock.inspect', { name: shm.small });
    expect(small.message).toContain('smaller than the 4096-byte header');
    for (const r of [link, fifo, plain, small]) {
      expect(r.ok).toBe(false);
      expect(r.text).not.toContain(SECRET);
      expect(r.text).not.toContain('hubscope-secret');
    }
  });

  it('still inspects a real segment', async () => {
    const w = createDataBlock(shm.real, { schema: VECTOR_SCHEMA, capacity: 4 });
    try {
      w.write({ seq: 1n, value: 2.5, flags: 3 });
      const r = await call('datablock.inspect', { name: shm.real, records: 1 });
      expect(r.ok).toBe(true);
    } finally {
      w.close();
    }
  });
});

describe('schemaPath reads only schema files in folders the user chose', () => {
  it('refuses a path outside them without telling whether it exists', async () => {
    const existing = join(outsideDir, 'real.json');
    writeFileSync(existing, JSON.stringify(VECTOR_SCHEMA));
    const missing = join(outsideDir, 'missing.json');
    const a = await call('datablock.inspect', { name: shm.plain, schemaPath: existing });
    const b = await call('datablock.inspect', { name: shm.plain, schemaPath: missing });
    expect(a.ok).toBe(false);
    expect(a.message).toContain('schema files are read only from');
    expect(a.message.replace(existing, 'P')).toBe(b.message.replace(missing, 'P'));
    // A symbolic link inside an allowed folder leading out is refused the same way.
    symlinkSync(existing, join(schemaDir, 'escape.json'));
    const c = await call('datablock.inspect', { name: shm.plain, schemaPath: join(schemaDir, 'escape.json') });
    expect(c.message).toContain('schema files are read only from');
    const d = await call('datablock.inspect', { name: shm.plain, schemaPath: 'relative/x.json' });
    expect(d.message).toContain('absolute path');
  });

  it('does not block on a FIFO named x.json in an allowed folder', async () => {
    const fifo = join(schemaDir, 'x.json');
    execFileSync('mkfifo', [fifo]);
    const r = await call('datablock.inspect', { name: shm.plain, schemaPath: fifo }); // returns promptly
    expect(r.ok).toBe(false);
    expect(r.message).toContain('not a regular file');
    // Static files still answer too (nothing stalled).
    writeFileSync(join(staticRoot, 'index.html'), '<!doctype html><title>HubScope</title>');
    expect((await fetch(`http://127.0.0.1:${bridge.port}/?token=${bridge.token}`)).status).toBe(200);
  });

  it('keeps the contents of a bad file out of its errors', async () => {
    const notJson = join(discoveryDir, 'not-json.json');
    writeFileSync(notJson, `${SECRET} is not JSON`);
    const a = await call('datablock.inspect', { name: shm.real, schemaPath: notJson });
    expect(a.message).toBe(`${notJson}: not valid JSON`);
    const badValues = join(schemaDir, 'bad-values.json');
    writeFileSync(
      badValues,
      JSON.stringify({ id: 'x', version: 1, slot: { packing: 'aligned', fields: [{ name: 'a', type: SECRET }] } }),
    );
    const b = await call('datablock.inspect', { name: shm.real, schemaPath: badValues });
    expect(b.message).toContain('unknown type');
    const badId = join(schemaDir, 'bad-id.json');
    writeFileSync(badId, JSON.stringify({ id: 7, version: SECRET, slot: {} }));
    const c = await call('datablock.inspect', { name: shm.real, schemaPath: badId });
    expect(c.message).toContain('"id" must be a non-empty string');
    for (const r of [a, b, c]) {
      expect(r.ok).toBe(false);
      expect(r.text).not.toContain(SECRET);
    }
  });
});

describe('static files', () => {
  it('does not follow a symbolic link out of the served folder', async () => {
    writeFileSync(join(staticRoot, 'index.html'), '<!doctype html><title>HubScope</title>');
    writeFileSync(join(staticRoot, 'app.js'), 'console.log(1)');
    symlinkSync(secretFile, join(staticRoot, 'leak.txt'));
    execFileSync('mkfifo', [join(staticRoot, 'pipe.js')]);
    const base = `http://127.0.0.1:${bridge.port}`;
    const leak = await fetch(`${base}/leak.txt?token=${bridge.token}`);
    expect(await leak.text()).not.toContain(SECRET); // the app's index.html instead
    const pipe = await fetch(`${base}/pipe.js?token=${bridge.token}`);
    expect(await pipe.text()).toContain('<title>HubScope</title>');
    const app = await fetch(`${base}/app.js?token=${bridge.token}`);
    expect(await app.text()).toBe('console.log(1)');
  });
});

describe('the access token on loopback', () => {
  it('is required by default: no token, no page and no WebSocket', async () => {
    expect(bridge.token).toMatch(/^[\w-]{32}$/);
    expect(bridge.url).toBe(`http://127.0.0.1:${bridge.port}/?token=${bridge.token}`);
    expect((await fetch(`http://127.0.0.1:${bridge.port}/`)).status).toBe(403);
    const refused = await new Promise<string>((resolve) => {
      const other = new WebSocket(`ws://127.0.0.1:${bridge.port}/ws`);
      other.on('open', () => resolve('open'));
      other.on('unexpected-response', (_req, res) => resolve(String(res.statusCode)));
      other.on('error', (err) => resolve(err.message));
    });
    expect(refused).toBe('403');
  });

  it('cannot be switched off off loopback', async () => {
    await expect(startHttpBridge(core, { host: '0.0.0.0', port: 0, staticRoot, token: null })).rejects.toThrow(
      /access token is required/,
    );
  });
});
