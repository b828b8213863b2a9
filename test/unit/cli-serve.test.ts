// `hubscope serve` as a real process: its startup line, and a taken port.
import { createServer, type Server } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { execNode, spawnNode, stopProcess } from '../support/processes.js';

const ENTRY = ['--import', 'tsx', 'test/support/cli-from-source.ts', 'serve', '--broker', 'off', '--no-discovery'];

function listen(port: number): Promise<Server | null> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(null)); // already taken by someone else: just as good
    server.listen(port, '127.0.0.1', () => resolve(server));
  });
}

describe('hubscope serve', () => {
  const held: Server[] = [];
  afterAll(() => held.forEach((s) => s.close()));

  it('refuses a port the user named when it is taken, naming it', async () => {
    const server = (await listen(0))!;
    held.push(server);
    const port = (server.address() as { port: number }).port;
    const result = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
      execNode([...ENTRY, '--port', String(port)], { timeout: 20_000 }, (err, _out, stderr) =>
        resolve({ code: err ? ((err.code as number | undefined) ?? -1) : 0, stderr }),
      );
    });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`port ${port} on 127.0.0.1 is in use; pick another with --port`);
  });

  it('takes a free port when the default one is taken', async () => {
    const server = await listen(7400);
    if (server) held.push(server);
    const child = spawnNode([...ENTRY, '--json'], { stdio: ['ignore', 'pipe', 'inherit'] });
    try {
      let out = '';
      await new Promise<void>((resolve, reject) => {
        child.stdout?.on('data', (d: Buffer) => {
          out += d.toString();
          if (out.includes('"url"')) resolve();
        });
        child.once('exit', (code) => reject(new Error(`serve exited with ${code}: ${out}`)));
      });
      expect(out).toContain('Port 7400 is in use; using a free port instead.');
      const { port, url } = JSON.parse(out.slice(out.indexOf('{'))) as { port: number; url: string };
      expect(port).not.toBe(7400);
      expect((await fetch(url)).status).toBe(200); // the URL carries the access token
    } finally {
      await stopProcess(child);
    }
  });
});
