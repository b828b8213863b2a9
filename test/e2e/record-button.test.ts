// The Record button end to end: `hubscope serve` with a temporary recordings folder
// (--recordings-dir), `hubscope demo` writing a counter into real shared memory and
// announcing it in a temporary discovery directory, and Chromium clicking Record and
// Stop in the DataBlock inspector. The MCAP file the page names is in that folder and
// @mcap/core reads back as many consecutive records as the page says were written.
import { mkdtempSync, readdirSync, rmSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { countsIn, recordIdsIn } from '../support/mcap-read.js';
import { launchChromium } from '../support/browser.js';
import { startCli, type Started } from '../support/processes.js';
import { runId } from '../support/run-marker.js';

const SUFFIX = `-e2e-rec-${runId()}-${process.pid}`;
const SEGMENT = `lab.demo.counter${SUFFIX}`;

describe('the Record button', () => {
  const dir = mkdtempSync(join(tmpdir(), 'hubscope-e2e-record-'));
  const discoveryDir = join(dir, 'discovery');
  const recordingsDir = join(dir, 'recordings');
  let server: Started;
  let demo: Started;
  let browser: Browser;
  let page: Page;
  let url: string;

  beforeAll(async () => {
    const started = await startCli(
      [
        'serve',
        '--port',
        '0',
        '--json',
        '--broker',
        'off',
        '--discovery-dir',
        discoveryDir,
        '--recordings-dir',
        recordingsDir,
      ],
      /\{"url".*\}\n/,
    );
    server = started;
    url = (JSON.parse(started.match[0]) as { url: string }).url;
    demo = await startCli(
      [
        'demo',
        '--only',
        'counter',
        '--counter-hz',
        '200',
        `--suffix=${SUFFIX}`,
        '--broker',
        'off',
        '--discovery-dir',
        discoveryDir,
        '--json',
      ],
      /"producers"/,
    );
    browser = await launchChromium();
    page = await browser.newPage();
  });

  afterAll(async () => {
    await browser?.close();
    await demo?.stop();
    await server?.stop();
    try {
      unlinkSync(`/dev/shm/${SEGMENT}`);
    } catch {
      // already removed by the demo's own cleanup
    }
    rmSync(dir, { recursive: true, force: true });
  });

  it('records the inspected channel into the recordings folder until Stop', async () => {
    await page.goto(`${url}#/datablocks/${encodeURIComponent(SEGMENT)}`);
    // The schema comes from the demo's descriptor: wait until the inspector decodes with it.
    await page.getByTestId('records-table').waitFor();
    const panel = page.getByTestId('record-panel');
    await panel.getByRole('button', { name: 'Record' }).click();
    await panel.and(page.locator('[data-state="recording"]')).waitFor();
    await page.getByTestId('record-file').filter({ hasText: recordingsDir }).waitFor();
    // Elapsed time and records written move while it records.
    await page
      .getByTestId('record-progress')
      .filter({ hasText: /[1-9]\d* s · [1-9][\d,]* records/ })
      .waitFor({ timeout: 15_000 });
    await panel.getByRole('button', { name: 'Stop recording' }).click();
    const wrote = page.getByTestId('record-file').filter({ hasText: 'wrote' });
    await wrote.waitFor();
    const text = (await wrote.textContent()) ?? '';

    const files = readdirSync(recordingsDir);
    expect(files).toHaveLength(1);
    const path = join(recordingsDir, files[0]!);
    expect(files[0]).toMatch(new RegExp(`^\\d{8}-\\d{6}-\\d{3}-${SEGMENT.replace(/\./g, '\\.')}\\.mcap$`));
    expect(text).toContain(path);
    const { counts } = await countsIn(path);
    const shown = Number(/\(([\d,]+) records/.exec(text)?.[1]?.replace(/,/g, '') ?? NaN);
    expect(counts.length).toBe(shown);
    expect(counts.length).toBeGreaterThan(100);
    const first = counts[0] ?? 0;
    expect(counts).toEqual(counts.map((_, i) => first + i));
    expect(await page.getByTestId('record-error').count()).toBe(0);
  });

  it('says in words why a channel cannot be recorded', async () => {
    // A segment with no schema anywhere: the server's own recordings folder is not a segment either.
    await page.goto(`${url}#/datablocks/${encodeURIComponent(`nothing${SUFFIX}`)}`);
    await page.getByTestId('record-panel').getByRole('button', { name: 'Record' }).click();
    await page
      .getByTestId('record-error')
      .filter({ hasText: `no schema known for nothing${SUFFIX}` })
      .waitFor();
    expect(readdirSync(recordingsDir)).toHaveLength(1);
  });

  it('records the shown channels from the Channels view, with what the ring held before the press', async () => {
    await page.goto(`${url}#/channels`);
    await page.getByRole('searchbox', { name: 'Filter' }).fill(SUFFIX);
    const panel = page.getByTestId('record-panel');
    const button = panel.getByRole('button', { name: 'Record the shown channel' });
    await button.waitFor();
    await panel.getByTestId('record-pre-buffer').selectOption({ label: 'with the last 10 s' });
    await button.click();
    await panel.and(page.locator('[data-state="recording"]')).waitFor();
    await page
      .getByTestId('record-progress')
      .filter({ hasText: /[1-9][\d,]* records/ })
      .waitFor({ timeout: 15_000 });
    await panel.getByRole('button', { name: 'Stop recording' }).click();
    const wrote = page.getByTestId('record-file').filter({ hasText: 'wrote' });
    await wrote.waitFor();
    // The demo had run for seconds: the ring's records from before the press are in the file, first.
    const text = (await wrote.textContent()) ?? '';
    const before = Number(/([\d,]+) from before the press/.exec(text)?.[1]?.replace(/,/g, '') ?? NaN);
    expect(before).toBeGreaterThan(0);

    const files = readdirSync(recordingsDir).sort();
    expect(files).toHaveLength(2);
    const ids = await recordIdsIn(join(recordingsDir, files[1]!));
    expect(ids.length).toBeGreaterThan(before);
    expect(ids).toEqual(ids.map((_, i) => ids[0]! + i));
    expect(await page.getByTestId('record-error').count()).toBe(0);
  });
});
