// The headless notifiers: a real command run through /bin/sh with the alert in
// $HUBSCOPE_ALERT and on stdin (never in its command line), and a real webhook
// server on a free port, including one that fails and one that never answers.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { AlertEvent } from '../../main/alerts/alert-engine.js';
import { runAlertCommand } from '../../main/alerts/command-notifier.js';
import { checkWebhookUrl, postAlert } from '../../main/alerts/webhook-notifier.js';

const dir = mkdtempSync(join(tmpdir(), 'hubscope-alert-notify-'));
const servers: Server[] = [];
afterAll(async () => {
  for (const s of servers) {
    s.closeAllConnections();
    await new Promise((r) => s.close(r));
  }
  rmSync(dir, { recursive: true, force: true });
});

// A subject a hostile producer could choose: quotes and command substitutions.
const hostile = `lab.$(touch ${join(dir, 'pwned')}).\`touch ${join(dir, 'pwned2')}\`'"; exit 3`;
const event: AlertEvent = {
  event: 'raised',
  alert: {
    id: 1,
    rule: 'producerDead',
    subject: `/dev/shm/${hostile}`,
    channel: hostile,
    message: `the producer of /dev/shm/${hostile} is dead`,
    raisedAt: new Date(0).toISOString(),
    clearedAt: null,
    durationMs: 0,
  },
};

async function listen(handler: (req: IncomingMessage, body: string) => number | null): Promise<string> {
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      const status = handler(req, body);
      if (status !== null) res.writeHead(status).end();
    });
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
}

describe('alert command', () => {
  it('gets the alert as JSON in $HUBSCOPE_ALERT and on stdin, never interpolated by the shell', async () => {
    const stdinFile = join(dir, 'stdin.json');
    const envFile = join(dir, 'env.json');
    const result = await runAlertCommand(`cat > '${stdinFile}'; printf '%s' "$HUBSCOPE_ALERT" > '${envFile}'`, event);
    expect(result).toEqual({ code: 0, signal: null });
    expect(JSON.parse(readFileSync(stdinFile, 'utf8'))).toEqual(event);
    expect(JSON.parse(readFileSync(envFile, 'utf8'))).toEqual(event);
    expect(existsSync(join(dir, 'pwned'))).toBe(false);
    expect(existsSync(join(dir, 'pwned2'))).toBe(false);
  });

  it('logs a failing command, a missing one and one that runs too long, and never throws', async () => {
    const log: string[] = [];
    expect(await runAlertCommand('exit 4', event, (l) => log.push(l))).toEqual({ code: 4, signal: null });
    expect(log.pop()).toBe('hubscope alerts: the alert command ended with exit code 4');
    expect((await runAlertCommand('/nonexistent/hook', event, (l) => log.push(l))).code).toBe(127);
    const slow = await runAlertCommand('exec sleep 30', event, (l) => log.push(l), 200);
    expect(slow.signal).toBe('SIGKILL');
    expect(log).toContain('hubscope alerts: the alert command ran longer than 0.2 s and was stopped');
  });
});

describe('alert webhook', () => {
  it('posts the alert as JSON', async () => {
    const got: Array<{ method?: string; type?: string; body: string }> = [];
    const url = await listen((req, body) => {
      got.push({ method: req.method, type: req.headers['content-type'], body });
      return 204;
    });
    expect(await postAlert(checkWebhookUrl(url), event)).toBe(true);
    expect(got).toHaveLength(1);
    expect(got[0]).toMatchObject({ method: 'POST', type: 'application/json' });
    expect(JSON.parse(got[0]!.body)).toEqual(event);
  });

  it('logs an error status, a closed port and a hook that never answers, without the query string', async () => {
    const log: string[] = [];
    const failing = await listen(() => 500);
    expect(await postAlert(checkWebhookUrl(`${failing}?token=secret`), event, (l) => log.push(l))).toBe(false);
    expect(log.pop()).toBe(`hubscope alerts: the webhook ${failing} answered 500`);

    // A port that was free a moment ago: nothing listens there now.
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((r) => closed.close(r));
    expect(await postAlert(checkWebhookUrl(`http://127.0.0.1:${port}/`), event, (l) => log.push(l))).toBe(false);
    expect(log.pop()).toBe(`hubscope alerts: cannot post to the webhook http://127.0.0.1:${port}/: ECONNREFUSED`);

    const silent = await listen(() => null);
    expect(await postAlert(checkWebhookUrl(silent), event, (l) => log.push(l), 200)).toBe(false);
    expect(log.pop()).toBe(`hubscope alerts: cannot post to the webhook ${silent}: no answer within 0.2 s`);
    expect(log.join('\n')).not.toContain('secret');
  });

  it('refuses a URL that is not http(s) when it is given', () => {
    expect(() => checkWebhookUrl('not a url')).toThrow('the webhook URL "not a url" is not a URL');
    expect(() => checkWebhookUrl('file:///etc/passwd')).toThrow('must start with http:// or https://, not file:');
  });
});
