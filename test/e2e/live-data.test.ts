// Live data end to end: `hubscope serve` and `hubscope demo` as real processes,
// Chromium showing the stream. The plot advances, pauses and zooms; the camera
// shows frames at its own rate; a dead producer, a vanished segment, a corrupt
// segment and a stopped server are all said so on screen. Saves a screenshot of
// each main view to docs/screenshots/.
import { mkdirSync, mkdtempSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../support/browser.js';
import { ROOT, startCli, type Started } from '../support/processes.js';

const SUFFIX = `-live-${process.pid}`;
const WAVEFORM = `lab.demo.waveform${SUFFIX}`;
const CAMERA = `lab.demo.camera${SUFFIX}`;
const COUNTER = `lab.demo.counter${SUFFIX}`;
const CORRUPT = `hs-e2e-corrupt-${process.pid}`;
const SHOTS = join(ROOT, 'docs', 'screenshots');

type PlotRange = { min: number; max: number; points: number };

async function plotRange(page: Page): Promise<PlotRange> {
  const plot = page.getByTestId('live-plot').first();
  const [min, max, points] = await Promise.all([
    plot.getAttribute('data-x-min'),
    plot.getAttribute('data-x-max'),
    plot.getAttribute('data-points'),
  ]);
  return { min: Number(min), max: Number(max), points: Number(points) };
}

async function waitUntil(check: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('live data at display rate', () => {
  const dir = mkdtempSync(join(tmpdir(), 'hubscope-e2e-live-'));
  let server: Started;
  let demo: Started;
  let browser: Browser;
  let page: Page;
  let url: string;

  const open = (hash: string) => page.goto(`${url}${hash}`);

  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    const started = await startCli(
      ['serve', '--port', '0', '--json', '--broker-endpoint', 'tcp://127.0.0.1:0', '--discovery-dir', dir],
      /\{"url".*\}\n/,
    );
    server = started;
    const info = JSON.parse(started.match[0]) as { url: string; broker: string };
    url = info.url;
    demo = await startCli(
      [
        'demo',
        '--only',
        'waveform,counter,camera',
        `--suffix=${SUFFIX}`,
        '--broker',
        info.broker,
        '--discovery-dir',
        dir,
      ],
      /registered 3 channel\(s\)/,
    );
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1366, height: 768 } });
  });

  afterAll(async () => {
    await browser?.close();
    await demo?.stop();
    await server?.stop();
    for (const name of [WAVEFORM, CAMERA, COUNTER, CORRUPT]) {
      try {
        unlinkSync(`/dev/shm/${name}`);
      } catch {
        // already removed
      }
    }
    rmSync(dir, { recursive: true, force: true });
  });

  it('lists the demo channels with their rates', async () => {
    await open('#/channels');
    const row = page.locator(`tr[data-shm="${WAVEFORM}"]`);
    await row.filter({ hasText: /k\/s|\d{3}\/s/ }).waitFor({ timeout: 20_000 });
    expect(await row.textContent()).toContain('active');
    // The age of the last record, read from the header by main.
    await row.filter({ hasText: / ms ago| s ago/ }).waitFor({ timeout: 10_000 });
    await page.screenshot({ path: join(SHOTS, 'channels.png') });
    // Filter, then open a channel from the keyboard.
    await page.getByLabel('Filter').fill(WAVEFORM);
    expect(await page.locator('tr[data-channel]').count()).toBe(1);
    await row.focus();
    await page.keyboard.press('Enter');
    await page.waitForURL(new RegExp(`#/datablocks/${WAVEFORM.replace(/\./g, '\\.')}`));
  });

  it('streams the waveform: the plot advances with every record, pause freezes it, zoom narrows it', async () => {
    await open(`#/datablocks/${encodeURIComponent(WAVEFORM)}`);
    const plot = page.getByTestId('live-plot').first();
    await plot.waitFor();
    await waitUntil(async () => (await plotRange(page)).points > 10, 15_000, 'points on the plot');
    const first = await plotRange(page);
    await waitUntil(async () => (await plotRange(page)).max > first.max + 0.5, 15_000, 'the plot to advance');
    // The legend is the cursor readout: every element of volts is a series, with its unit.
    const legend = await page.locator('.u-legend').first().textContent();
    expect(legend).toContain('volts[0] (V)');
    expect(legend).toContain('volts[7] (V)');
    await page.screenshot({ path: join(SHOTS, 'waveform.png') });

    // No record is lost at 1 kHz: main reads every one the ring holds.
    const counts = await page.getByTestId('live-counts').textContent();
    expect(counts).not.toContain('lost');

    await page.getByTestId('live-pause').click();
    await page.waitForTimeout(300);
    const paused = await plotRange(page);
    await page.waitForTimeout(1200);
    expect(await plotRange(page)).toEqual(paused);
    await page.getByTestId('live-pause').click(); // resume
    await waitUntil(async () => (await plotRange(page)).max > paused.max, 15_000, 'the plot to resume');

    // Drag across the middle of the plot area: a zoom into that range.
    const over = page.locator('.u-over').first();
    const box = (await over.boundingBox())!;
    const before = await plotRange(page);
    await page.mouse.move(box.x + box.width * 0.4, box.y + box.height / 2);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width * 0.6, box.y + box.height / 2, { steps: 5 });
    await page.mouse.up();
    await waitUntil(
      async () => {
        const r = await plotRange(page);
        return r.max - r.min < (before.max - before.min) * 0.5;
      },
      10_000,
      'the zoomed range',
    );
    const zoomed = await plotRange(page);
    expect(zoomed.min).toBeGreaterThan(before.min);
    await page.getByTestId('live-reset').click();
    await waitUntil(
      async () => {
        const r = await plotRange(page);
        return r.max - r.min > (zoomed.max - zoomed.min) * 2;
      },
      10_000,
      'the live window again',
    );
  });

  it('shows the camera at its own frame rate, not once a second', async () => {
    await open(`#/datablocks/${encodeURIComponent(CAMERA)}`);
    const image = page.getByTestId('live-image');
    await image.filter({ hasText: '1024 × 1024' }).waitFor({ timeout: 20_000 });
    // Count the distinct frame ids the page drew over 3 s, sampled every animation frame.
    // Runs in the page (given as text: the test's TypeScript has no DOM types).
    const distinct = (await page.evaluate(`new Promise((resolve) => {
      const seen = new Set();
      const end = performance.now() + 3000;
      const sample = () => {
        const id = document.querySelector('[data-testid="live-image"]')?.getAttribute('data-frame');
        if (id) seen.add(id);
        if (performance.now() < end) requestAnimationFrame(sample);
        else resolve(seen.size);
      };
      requestAnimationFrame(sample);
    })`)) as number;
    expect(distinct).toBeGreaterThan(30);
    // The pixel under the cursor is read out.
    const canvas = image.locator('canvas');
    const cb = (await canvas.boundingBox())!;
    await page.mouse.move(cb.x + cb.width / 2, cb.y + cb.height / 2);
    await page
      .getByTestId('pixel-value')
      .filter({ hasText: /x \d+, y \d+: \d+/ })
      .waitFor();
    await page.screenshot({ path: join(SHOTS, 'camera.png') });
  });

  it('shows the inspector: ring, hex view naming fields, grouped header; the schema form stays open', async () => {
    await open(`#/datablocks/${encodeURIComponent(WAVEFORM)}`);
    await page.getByTestId('live-plot').first().waitFor();
    await page.getByTestId('ring-diagram').waitFor();
    expect(await page.locator('[data-group="Identity"]').textContent()).toContain('PLHB');
    await page.locator('details.hex-details summary').click();
    // Byte 8 of a waveform record is the first byte of the float64 `t`.
    await page.getByTestId('hex-view').locator('.b').nth(8).hover();
    await page.getByTestId('hex-field').filter({ hasText: 't (float64' }).waitFor();
    await page.locator('details.schema-file summary').click();
    await page.waitForTimeout(2500); // two refreshes of the inspector
    expect(await page.locator('details.schema-file').getAttribute('open')).not.toBeNull();
    await page.getByTestId('hex-view').scrollIntoViewIfNeeded();
    await page.screenshot({ path: join(SHOTS, 'inspector.png') });
    // Usable at 900 px: nothing wider than the window.
    await page.setViewportSize({ width: 900, height: 700 });
    await page.waitForTimeout(500);
    const overflow = (await page.evaluate(
      'document.querySelector("main").scrollWidth - document.querySelector("main").clientWidth',
    )) as number;
    expect(overflow).toBeLessThanOrEqual(1);
    await page.setViewportSize({ width: 1366, height: 768 });
  });

  it('lays out a live board at 900 px, 4K and in the dark theme', async () => {
    await open(`#/live/${[WAVEFORM, CAMERA, COUNTER].map(encodeURIComponent).join(',')}`);
    await page.getByTestId('live-image').filter({ hasText: '1024 × 1024' }).waitFor({ timeout: 20_000 });
    await page.screenshot({ path: join(SHOTS, 'live-board.png') });
    await page.setViewportSize({ width: 900, height: 700 });
    await page.waitForTimeout(500);
    const overflow = (await page.evaluate(
      'document.querySelector("main").scrollWidth - document.querySelector("main").clientWidth',
    )) as number;
    expect(overflow).toBeLessThanOrEqual(1);
    await page.screenshot({ path: join(SHOTS, 'live-board-900px.png') });
    await page.setViewportSize({ width: 3840, height: 2160 });
    await page.emulateMedia({ colorScheme: 'dark' });
    await page.waitForTimeout(800);
    await page.screenshot({ path: join(SHOTS, 'live-board-4k-dark.png') });
    await page.emulateMedia({ colorScheme: 'light' });
    await page.setViewportSize({ width: 1366, height: 768 });
  });

  it('shows the problems of a corrupt segment instead of breaking the view', async () => {
    // PLHB magic, then garbage: a header that fails validation.
    const bytes = new Uint8Array(8192).map((_, i) => (i * 37) & 0xff);
    bytes.set([0x42, 0x48, 0x4c, 0x50], 0);
    writeFileSync(`/dev/shm/${CORRUPT}`, bytes);
    await open(`#/datablocks/${encodeURIComponent(CORRUPT)}`);
    const inspector = page.getByTestId('inspector');
    await inspector.getByTestId('inspector-problems').waitFor({ timeout: 15_000 });
    expect(await inspector.textContent()).toContain('invalid');
    await page.getByTestId('live-error').waitFor();
    // The rest of the app still works.
    await open('#/channels');
    await page.locator(`tr[data-shm="${COUNTER}"]`).waitFor();
  });

  it('says a killed producer is dead and a removed segment is gone', async () => {
    await open(`#/datablocks/${encodeURIComponent(COUNTER)}`);
    await page.getByTestId('live-plot').first().waitFor();
    demo.child.kill('SIGKILL');
    await page
      .getByTestId('inspector-verdict')
      .filter({ hasText: /dead|stale/ })
      .waitFor({ timeout: 30_000 });
    await open('#/channels');
    await page
      .locator(`tr[data-shm="${COUNTER}"]`)
      .filter({ hasText: /stale|dead/ })
      .first()
      .waitFor({ timeout: 30_000 });
    // The segment is removed (as a cleanup would): the inspector says so and shows no green badges.
    await open(`#/datablocks/${encodeURIComponent(COUNTER)}`);
    await page.getByTestId('live-plot').first().waitFor();
    unlinkSync(`/dev/shm/${COUNTER}`);
    await page.getByTestId('live-gone').waitFor({ timeout: 15_000 });
    await page.getByTestId('inspector-error').filter({ hasText: 'gone' }).waitFor({ timeout: 15_000 });
    const verdict = await page.getByTestId('inspector-verdict').textContent();
    expect(verdict).not.toMatch(/\bvalid\b|alive/);
  });

  it('says the data is stale when the server stops', async () => {
    await open('#/channels');
    await page.locator(`tr[data-shm="${WAVEFORM}"]`).waitFor();
    await server.stop();
    await page.getByTestId('stale-banner').waitFor({ timeout: 15_000 });
    expect(await page.getByTestId('status-connection').textContent()).toContain('disconnected since');
    expect(await page.getByTestId('channels-table').textContent()).toContain('stale (was');
  });
});
