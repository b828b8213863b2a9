// `hubscope watch`, headless: reads the rules from the per-user file under a
// temporary HOME, prints each raised and cleared alert as JSON, runs the alert
// command and posts to a real local webhook for each.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { AlertEvent } from '../../main/alerts/alert-engine.js';
import { createDataBlock } from '../../main/datablock/writer.js';
import { execNode, spawnNode, stopProcess } from '../support/processes.js';
import { uniqueName, unlinkQuietly, waitFor } from './datablock-helpers.js';

const ENTRY = ['--import', 'tsx', 'test/support/cli-from-source.ts', 'watch', '--broker', 'off', '--no-discovery'];
const home = mkdtempSync(join(tmpdir(), 'hubscope-watch-'));
const cleanups: Array<() => unknown> = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
  rmSync(home, { recursive: true, force: true });
});

describe('hubscope watch', () => {
  it('prints, runs the command for and posts each alert of our segment', async () => {
    mkdirSync(join(home, '.config', 'hubscope'), { recursive: true });
    writeFileSync(join(home, '.config', 'hubscope', 'alerts.json'), JSON.stringify({ noRecord: { seconds: 0.5 } }));
    const posted: AlertEvent[] = [];
    const server = createServer((req, res) => {
      let body = '';
      req.on('data', (d: Buffer) => (body += d.toString()));
      req.on('end', () => {
        posted.push(JSON.parse(body) as AlertEvent);
        res.writeHead(200).end();
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    cleanups.push(() => new Promise((r) => server.close(r)));
    const hook = `http://127.0.0.1:${(server.address() as AddressInfo).port}/alerts`;
    const commandOut = join(home, 'command.jsonl');

    const name = uniqueName('watch');
    const writer = createDataBlock(name, { slotSize: 64, capacity: 4 });
    cleanups.push(() => {
      writer.close();
      unlinkQuietly(name);
    });
    writer.writeRaw(new Uint8Array(64));

    const child = spawnNode(
      [...ENTRY, '--json', '--alert-command', `cat >> '${commandOut}'`, '--alert-webhook', hook],
      { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, HOME: home } },
    );
    cleanups.push(() => stopProcess(child));
    const printed: AlertEvent[] = [];
    let buffer = '';
    child.stdout?.on('data', (d: Buffer) => {
      buffer += d.toString();
      const lines = buffer.split('\n');
      buffer = lines.pop() ?? '';
      for (const l of lines) if (l.trim()) printed.push(JSON.parse(l) as AlertEvent);
    });
    const ours = (list: AlertEvent[], event: 'raised' | 'cleared') =>
      list.find((e) => e.event === event && e.alert.rule === 'noRecord' && e.alert.subject === `/dev/shm/${name}`);

    await waitFor(() => ours(printed, 'raised') !== undefined, 15_000, 'the raised alert printed');
    const writing = setInterval(() => writer.writeRaw(new Uint8Array(64)), 50);
    cleanups.push(() => clearInterval(writing));
    await waitFor(() => ours(printed, 'cleared') !== undefined, 15_000, 'the cleared alert printed');
    await waitFor(() => ours(posted, 'cleared') !== undefined, 15_000, 'the cleared alert posted');
    const fromCommand = () =>
      readFileSync(commandOut, 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as AlertEvent);
    await waitFor(() => ours(fromCommand(), 'cleared') !== undefined, 15_000, 'the command run for the cleared alert');
    expect(ours(posted, 'raised')).toEqual(ours(printed, 'raised'));
    expect(ours(fromCommand(), 'raised')).toEqual(ours(printed, 'raised'));
  });

  it('refuses a webhook that is not http(s), naming the option', async () => {
    const result = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
      execNode([...ENTRY, '--alert-webhook', 'ftp://example.org/x'], { timeout: 20_000 }, (err, _out, stderr) =>
        resolve({ code: err ? ((err.code as number | undefined) ?? -1) : 0, stderr }),
      );
    });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(
      'hubscope watch: --alert-webhook: the webhook URL must start with http:// or https://, not ftp:.',
    );
  });
});
