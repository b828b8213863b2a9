// Browser mode end to end: a real `hubscope serve` process, a real Chromium.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../support/browser.js';
import { startCli, type Started } from '../support/processes.js';

describe('browser mode', () => {
  const dir = mkdtempSync(join(tmpdir(), 'hubscope-e2e-shell-discovery-'));
  let server: Started;
  let url: string;
  let browser: Browser;
  let page: Page;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    // A free broker port and its own discovery dir: never 5570, never the user's files.
    const started = await startCli(
      ['serve', '--port', '0', '--json', '--broker-endpoint', 'tcp://127.0.0.1:0', '--discovery-dir', dir],
      /\{"url":"([^"]+)"/,
    );
    server = started;
    url = started.match[1]!;
    browser = await launchChromium();
    page = await browser.newPage();
    page.on('pageerror', (err) => pageErrors.push(err.message));
    await page.goto(url);
  });

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('renders the shell: sidebar, a view and the status bar', async () => {
    await expect(page.getByRole('navigation', { name: 'Views' }).textContent()).resolves.toContain('DataBlocks');
    for (const label of ['Channels', 'DataBlocks', 'Broker', 'Discovery']) {
      expect(await page.getByRole('link', { name: label }).count()).toBe(1);
    }
    await page.getByRole('heading', { name: 'Channels', exact: true }).waitFor();
    await page.getByTestId('status-connection').filter({ hasText: 'connected' }).waitFor();
  });

  it('shows the version fetched from main over the WebSocket bridge', async () => {
    const status = page.getByTestId('status-version');
    await status.filter({ hasText: /v\d+\.\d+\.\d+/ }).waitFor();
    const { VERSION } = await import('../../main/version.js');
    expect(await status.textContent()).toContain(`v${VERSION} · browser`);
  });

  it('navigates between views by the sidebar', async () => {
    await page.getByRole('link', { name: 'Broker' }).click();
    await page.getByRole('heading', { name: 'Broker', level: 1 }).waitFor();
    expect(page.url()).toContain('#/broker');
    await page.getByRole('link', { name: 'Discovery' }).click();
    await page.getByRole('heading', { name: 'Discovery', level: 1 }).waitFor();
  });

  it('refuses a WebSocket from a foreign origin', async () => {
    const other = await browser.newPage();
    await other.goto('about:blank');
    const wsUrl = url.replace(/^http/, 'ws') + 'ws';
    const outcome = await other.evaluate(
      (target) =>
        new Promise<string>((resolve) => {
          const ws = new WebSocket(target);
          ws.onopen = () => resolve('open');
          ws.onerror = () => resolve('refused');
        }),
      wsUrl,
    );
    await other.close();
    expect(outcome).toBe('refused');
  });

  it('raised no uncaught errors in the page', () => {
    expect(pageErrors).toEqual([]);
  });
});
