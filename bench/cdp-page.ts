// A page in Debian's Chromium driven over the DevTools protocol with nothing but
// Runtime: for the UI benchmark, whose harness must not cost the machine it
// measures. Playwright enables the Network domain on every page, and Chromium then
// copies each WebSocket frame, base64-encoded, to the driver (about 15 MB/s for the
// camera view): measured, the browser process and the driver took a third of a
// core between them that the app itself never spends.
//
// The browser talks over a pipe (--remote-debugging-pipe: fds 3 and 4, messages
// ended by NUL), so no port is opened.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { CHROMIUM, CHROMIUM_ARGS } from '../test/support/browser.js';

interface Reply {
  id?: number;
  sessionId?: string;
  result?: Record<string, unknown>;
  error?: { message: string };
}

export class CdpPage {
  private nextId = 1;
  private readonly waiting = new Map<number, { resolve(r: Record<string, unknown>): void; reject(e: Error): void }>();
  private sessionId = '';

  private constructor(
    private readonly child: ChildProcess,
    private readonly profile: string,
  ) {
    let pending = '';
    (child.stdio[4] as Readable).on('data', (chunk: Buffer) => {
      pending += chunk.toString('utf8');
      let end;
      while ((end = pending.indexOf('\0')) >= 0) {
        const msg = JSON.parse(pending.slice(0, end)) as Reply;
        pending = pending.slice(end + 1);
        const w = msg.id !== undefined ? this.waiting.get(msg.id) : undefined;
        if (!w || msg.id === undefined) continue;
        this.waiting.delete(msg.id);
        if (msg.error) w.reject(new Error(`DevTools: ${msg.error.message}`));
        else w.resolve(msg.result ?? {});
      }
    });
  }

  /** Launches headless Chromium (the tests' flags) with one page at `url`, 1920x1080. */
  static async open(url: string): Promise<CdpPage> {
    if (!existsSync(CHROMIUM)) throw new Error(`Chromium is not installed at ${CHROMIUM}.`);
    const profile = mkdtempSync(join(tmpdir(), 'hubscope-bench-chromium-'));
    const child = spawn(
      CHROMIUM,
      [
        '--headless',
        ...CHROMIUM_ARGS,
        '--remote-debugging-pipe',
        `--user-data-dir=${profile}`,
        '--window-size=1920,1080',
        'about:blank',
      ],
      { stdio: ['ignore', 'ignore', 'ignore', 'pipe', 'pipe'] },
    );
    const page = new CdpPage(child, profile);
    const { targetId } = (await page.send('Target.createTarget', { url: 'about:blank' })) as { targetId: string };
    const { sessionId } = (await page.send('Target.attachToTarget', { targetId, flatten: true })) as {
      sessionId: string;
    };
    page.sessionId = sessionId;
    await page.send('Emulation.setDeviceMetricsOverride', {
      width: 1920,
      height: 1080,
      deviceScaleFactor: 1,
      mobile: false,
    });
    await page.send('Page.navigate', { url });
    return page;
  }

  private send(method: string, params: Record<string, unknown> = {}): Promise<Record<string, unknown>> {
    const id = this.nextId++;
    const message: Record<string, unknown> = { id, method, params };
    if (this.sessionId) message.sessionId = this.sessionId;
    (this.child.stdio[3] as Writable).write(JSON.stringify(message) + '\0');
    return new Promise((resolve, reject) => this.waiting.set(id, { resolve, reject }));
  }

  /** Evaluates an expression in the page and returns its value (promises awaited). */
  async evaluate<T>(expression: string): Promise<T> {
    const r = (await this.send('Runtime.evaluate', { expression, returnByValue: true, awaitPromise: true })) as {
      result: { value?: T };
      exceptionDetails?: { text: string; exception?: { description?: string } };
    };
    if (r.exceptionDetails) {
      throw new Error(`in the page: ${r.exceptionDetails.exception?.description ?? r.exceptionDetails.text}`);
    }
    return r.result.value as T;
  }

  /** Waits until an expression is true in the page. */
  async waitFor(expression: string, timeoutMs: number): Promise<void> {
    const until = Date.now() + timeoutMs;
    while (!(await this.evaluate<boolean>(`Boolean(${expression})`).catch(() => false))) {
      if (Date.now() > until) throw new Error(`timed out after ${timeoutMs} ms waiting for ${expression}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  async close(): Promise<void> {
    const exited = new Promise((r) => this.child.once('exit', r));
    this.child.kill('SIGTERM');
    await Promise.race([exited, new Promise((r) => setTimeout(r, 3000))]);
    if (this.child.exitCode === null) this.child.kill('SIGKILL');
    rmSync(this.profile, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 });
  }
}
