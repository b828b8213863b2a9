// The app end to end on consumer groups and message tracing: `hubscope serve` with its
// embedded broker, a real MessageHub client in this process (its keys from the
// broker's endpoint file in the discovery directory), and Chromium. Three consumers
// join a group and the Channels view shows its members, shares and generation; the
// Broker view's trace filters by type and channel, shows the reply of a clicked
// request, and switches to this app's own connection and its metrics.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MessageHub } from '../../main/hub/message-hub.js';
import type { ConsumerHandle } from '../../main/hub/registrations.js';
import { launchChromium } from '../support/browser.js';
import { startCli, type Started } from '../support/processes.js';
import { runId } from '../support/run-marker.js';

const CHANNEL = `lab.e2e.groups.${runId()}.${process.pid}`.replace(/[^A-Za-z0-9_.-]/g, '_');
// Not containing CHANNEL: the view's channel filter matches a part of the name.
const OTHER = CHANNEL.replace('.groups.', '.others.');
const CONFIG = {
  policy: 'RingBuffer',
  syncPolicy: 'Latest_only',
  capacity: 8,
  pageSize: 4096,
  slotSize: 64,
  flexZoneSize: 0,
} as const;

describe('consumer groups and the trace in the app', () => {
  const dir = mkdtempSync(join(tmpdir(), 'hubscope-e2e-groups-'));
  let server: Started;
  let browser: Browser;
  let page: Page;
  let hub: MessageHub;
  const consumers: ConsumerHandle[] = [];
  const pageErrors: string[] = [];

  beforeAll(async () => {
    const started = await startCli(
      ['serve', '--port', '0', '--json', '--broker-endpoint', 'tcp://127.0.0.1:0', '--discovery-dir', dir],
      /\{"url".*\}\n/,
    );
    server = started;
    const info = JSON.parse(started.match[0]) as { url: string; broker: string };
    hub = new MessageHub({ endpoint: info.broker, clientName: 'e2e-groups', discoveryDir: dir });
    await hub.registerProducer({
      channel: CHANNEL,
      shmName: `/${CHANNEL}`,
      config: CONFIG,
      producerName: 'e2e-groups',
    });
    await hub.registerProducer({ channel: OTHER, shmName: `/${OTHER}`, config: CONFIG, producerName: 'e2e-groups' });
    for (const id of ['member-a', 'member-b', 'member-c']) {
      consumers.push(await hub.registerConsumer({ channel: CHANNEL, consumerId: id, group: 'workers' }));
    }
    browser = await launchChromium();
    page = await browser.newPage();
    page.on('pageerror', (err) => pageErrors.push(err.message));
    await page.goto(info.url);
  });

  afterAll(async () => {
    await browser?.close();
    await hub?.close().catch(() => undefined);
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('shows the group with its three members, their shares and the generation', async () => {
    await page.getByRole('heading', { name: 'Channels', exact: true }).waitFor();
    const panel = page.getByTestId('groups-panel').filter({ hasText: 'workers' });
    await panel.filter({ hasText: '3 members' }).waitFor({ timeout: 15_000 });
    // Each member learns its final share from a GROUP_REBALANCED notification.
    for (let i = 0; i < 100 && !consumers.every((c) => c.share?.size === 3); i++)
      await new Promise((r) => setTimeout(r, 50));
    const generation = Math.max(...consumers.map((c) => c.share?.generation ?? 0));
    expect(generation).toBeGreaterThan(0);
    const text = (await panel.textContent()) ?? '';
    expect(text).toContain(`generation ${generation}`);
    // Every member owns a different third: index/size, and the record ids that index selects.
    const shares = consumers.map((c) => c.share!);
    expect(shares.map((s) => s.index).sort()).toEqual([0, 1, 2]);
    for (const [i, id] of ['member-a', 'member-b', 'member-c'].entries()) {
      const li = panel.locator('li', { hasText: id });
      expect(await li.textContent()).toContain(`share ${shares[i]!.index}/3 (ids mod 3 = ${shares[i]!.index})`);
    }

    // A member leaves: the rest rebalance into halves under a new generation, and the app follows.
    await consumers.pop()!.close();
    await panel.filter({ hasText: '2 members' }).waitFor({ timeout: 15_000 });
    expect((await panel.textContent()) ?? '').toMatch(new RegExp(`generation ${generation + 1}\\b`));
    expect(await panel.locator('li', { hasText: 'member-c' }).count()).toBe(0);
  });

  it("filters the broker's trace by type and channel and shows the reply of a clicked request", async () => {
    await page.getByRole('link', { name: 'Broker' }).click();
    await page.getByRole('heading', { name: 'Broker', level: 1 }).waitFor();
    await hub.discover(CHANNEL);
    await hub.discover(OTHER);
    await hub.request('STATUS', {});

    await page.getByTestId('trace-type').fill('DISCOVER');
    await page.getByTestId('trace-channel').fill(CHANNEL);
    const rows = page.getByTestId('broker-trace').locator('tbody tr');
    // The request and its reply, and nothing about the other channel or other types.
    await rows.filter({ hasText: 'DISCOVER_OK' }).first().waitFor({ timeout: 10_000 });
    const texts = await rows.allTextContents();
    expect(texts.length).toBeGreaterThanOrEqual(2);
    for (const t of texts) {
      expect(t).toContain('DISCOVER');
      expect(t).toContain(CHANNEL);
      expect(t).not.toContain(OTHER);
    }
    expect(texts.some((t) => t.includes('STATUS'))).toBe(false);

    const request = rows.filter({ hasText: 'e2e-groups' }).filter({ hasText: '→' }).first();
    await request.click();
    const reply = page.getByTestId('trace-reply');
    await reply.waitFor();
    expect(await reply.textContent()).toMatch(/answered by\s+DISCOVER_OK after \d+(\.\d+)? ms \(\d+ bytes\)/);

    await page.getByTestId('trace-channel').fill(OTHER);
    await rows.filter({ hasText: OTHER }).first().waitFor();
    for (const t of await rows.allTextContents()) expect(t).toContain(OTHER);
  });

  it("switches the trace to this app's own connection and shows its metrics", async () => {
    const metrics = page.getByTestId('app-connection-metrics');
    await metrics.waitFor();
    // Requests, errors, timeouts, round trip, reconnects, bytes, notifications: the app has made some.
    const cells = await metrics.locator('tbody td').allTextContents();
    expect(Number(cells[0])).toBeGreaterThan(0);
    expect(cells[3]).toMatch(/^\d+\.\d\d \/ \d+\.\d\d ms$/);
    expect(cells[5]).toMatch(/^[1-9]\d* \/ [1-9]\d*$/);

    await page.getByTestId('trace-source').getByLabel("this app's connection").check();
    await page.getByTestId('trace-channel').fill('');
    await page.getByTestId('trace-type').fill('PING');
    const rows = page.getByTestId('broker-trace').locator('tbody tr');
    await rows.filter({ hasText: 'PING_OK' }).first().waitFor({ timeout: 10_000 });
    for (const t of await rows.allTextContents()) expect(t).toMatch(/PING/);
    // The app's PINGs go out (→) and their replies come back (←), all from the app itself.
    await rows.filter({ hasText: '→' }).first().click();
    const reply = page.getByTestId('trace-reply');
    await reply.waitFor();
    expect(await reply.textContent()).toMatch(/answered by\s+PING_OK after/);
    expect(await rows.filter({ hasText: 'e2e-groups' }).count()).toBe(0);
  });

  it('raised no uncaught errors in the page', () => {
    expect(pageErrors).toEqual([]);
  });
});
