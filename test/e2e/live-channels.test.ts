// The whole app end to end: `hubscope serve` with its embedded broker and a
// discovery directory, `hubscope demo` producing into real shared memory and
// announcing itself through both, and Chromium showing the result.
import { mkdtempSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../support/browser.js';
import { ROOT, startCli, type Started } from '../support/processes.js';
import { runId } from '../support/run-marker.js';

const SUFFIX = `-e2e-${runId()}-${process.pid}`;
const COUNTER = 'lab.demo.counter';
const SEGMENT = `${COUNTER}${SUFFIX}`;

describe('live channels through every source', () => {
  const dir = mkdtempSync(join(tmpdir(), 'hubscope-e2e-discovery-'));
  let server: Started;
  let demo: Started;
  let browser: Browser;
  let page: Page;
  let url: string;
  let broker: string;

  beforeAll(async () => {
    const started = await startCli(
      ['serve', '--port', '0', '--json', '--broker-endpoint', 'tcp://127.0.0.1:0', '--discovery-dir', dir],
      /\{"url".*\}\n/,
    );
    server = started;
    const info = JSON.parse(started.match[0]) as { url: string; broker: string };
    url = info.url;
    broker = info.broker;
    expect(broker).toMatch(/^tcp:\/\/127\.0\.0\.1:\d+$/);
    demo = await startCli(
      [
        'demo',
        '--only',
        'counter,temperature,camera',
        '--camera-fps',
        '2',
        `--suffix=${SUFFIX}`,
        '--broker',
        broker,
        '--discovery-dir',
        dir,
      ],
      /registered 3 channel\(s\)/,
    );
    browser = await launchChromium();
    page = await browser.newPage();
  });

  afterAll(async () => {
    await browser?.close();
    await demo?.stop();
    await server?.stop();
    for (const name of [SEGMENT, `lab.demo.temperature${SUFFIX}`, `lab.demo.camera${SUFFIX}`]) {
      try {
        unlinkSync(`/dev/shm/${name}`);
      } catch {
        // already removed by the demo's own cleanup
      }
    }
    rmSync(dir, { recursive: true, force: true });
  });

  it('merges broker, descriptor file and segment into one channel row', async () => {
    await page.goto(`${url}#/channels`);
    const row = page.locator(`tr[data-channel="${COUNTER}"][data-shm="${SEGMENT}"]`);
    await row.filter({ hasText: 'broker' }).filter({ hasText: 'file' }).filter({ hasText: 'shm' }).waitFor();
    expect(await row.textContent()).toContain('active');
    expect(await row.textContent()).toContain(SEGMENT);
  });

  it('decodes the latest records with the schema from the descriptor', async () => {
    await page.goto(`${url}#/datablocks/${encodeURIComponent(SEGMENT)}`);
    const table = page.getByTestId('records-table');
    await table.waitFor();
    const headers = await table.locator('th').allTextContents();
    expect(headers.map((h) => h.trim().toLowerCase())).toEqual(expect.arrayContaining(['id', 'count', 'ts']));
    const verdict = await page.getByTestId('inspector').textContent();
    expect(verdict).toContain('valid');
    expect(verdict).toContain('discovery file');
  });

  it('decodes with a schema file the user names, and shows a mismatch with both fingerprints', async () => {
    await page.goto(`${url}#/datablocks/${encodeURIComponent(SEGMENT)}`);
    await page.getByTestId('records-table').waitFor();
    await page.locator('details.schema-file summary').click();
    const wrong = join(ROOT, 'demo', 'schemas', 'lab.demo.temperature.json');
    await page.getByLabel('Schema file path').fill(wrong);
    await page.getByRole('button', { name: 'Decode' }).click();
    const inspector = page.getByTestId('inspector');
    await inspector.filter({ hasText: `file ${wrong}` }).waitFor();
    const mismatch = inspector.locator('p.bad').filter({ hasText: 'schema mismatch' });
    await mismatch.waitFor();
    expect(await mismatch.textContent()).toMatch(/fingerprint [0-9a-f]{64} but the segment header says [0-9a-f]{64}/);
  });

  it('shows a camera frame as an image and a scalar channel as live plots', async () => {
    await page.goto(`${url}#/datablocks/${encodeURIComponent(`lab.demo.camera${SUFFIX}`)}`);
    const preview = page.getByTestId('live-image');
    await preview.filter({ hasText: '1024 × 1024' }).waitFor();
    // Runs in the page; the test's TypeScript has no DOM types, so say what is used.
    type Canvas2d = {
      width: number;
      height: number;
      getContext(kind: '2d'): { getImageData(x: number, y: number, w: number, h: number): { data: Uint8ClampedArray } };
    };
    const drawn = await preview.locator('canvas').evaluate((element) => {
      const canvas = element as unknown as Canvas2d;
      const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
      let lit = 0;
      for (let i = 0; i < data.length; i += 4) if ((data[i] ?? 0) > 0) lit++;
      return { width: canvas.width, lit };
    });
    expect(drawn.width).toBeGreaterThan(0);
    expect(drawn.width).toBeLessThanOrEqual(1024);
    expect(drawn.lit).toBeGreaterThan(0);
    await page.goto(`${url}#/datablocks/${encodeURIComponent(SEGMENT)}`);
    await page.getByTestId('live-panel').filter({ hasText: 'count' }).waitFor();
  });

  it('shows the embedded broker with the registered channel', async () => {
    await page.goto(`${url}#/broker`);
    await page.getByTestId('broker-endpoint').filter({ hasText: broker }).waitFor();
    await page.getByTestId('broker-channels').filter({ hasText: COUNTER }).waitFor();
  });

  it('lists a broken descriptor file with its reason', async () => {
    writeFileSync(join(dir, 'broken.channel.json'), '{ "format": ');
    await page.goto(`${url}#/discovery`);
    await page.getByTestId('discovery-entries').filter({ hasText: COUNTER }).waitFor();
    const problems = page.getByTestId('discovery-problems');
    await problems.filter({ hasText: 'broken.channel.json' }).waitFor();
  });

  it('marks the channel stale when its producer is killed', async () => {
    demo.child.kill('SIGKILL');
    await page.goto(`${url}#/channels`);
    const row = page.locator(`tr[data-channel="${COUNTER}"][data-shm="${SEGMENT}"]`);
    await row.filter({ hasText: /stale|dead/ }).waitFor({ timeout: 30_000 });
  });
});
