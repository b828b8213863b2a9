// A pylabhub hub as a source of the app, end to end: the hub double (CURVE with an
// allow-list, the monitor messages) on a real socket, a producer double handing its
// memfd DataBlock over a real Unix socket, `hubscope serve --pylabhub`, and Chromium
// showing the hub in the Channels and Broker views. A second server whose key is not
// on the allow-list meets a silent hub and shows the plh_hub command that fixes it.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MEMFD_NO_PREVIEW } from '../../main/core/pylabhub-rows.js';
import { generateKeyPair, keyFingerprint, writeKeyFile } from '../../main/keys/index.js';
import { hubscopeConsumerUid } from '../../main/pylabhub/allow-list-command.js';
import { launchChromium } from '../support/browser.js';
import { startCli, type Started } from '../support/processes.js';
import { PylabhubHubDouble } from '../support/pylabhub-hub-double.js';
import { startShmProducer, type ShmProducerDouble } from '../support/pylabhub-shm-producer.js';
import { writerImage } from '../unit/datablock-helpers.js';

const CHANNEL = 'lab.e2e.memfd';
const PRODUCER_UID = 'prod.e2ecam.p00000001';

describe('a pylabhub hub in the app', () => {
  const dir = mkdtempSync(join(tmpdir(), 'hubscope-e2e-plh-'));
  const own = generateKeyPair();
  const stranger = generateKeyPair();
  const ownKeyFile = join(dir, 'hubscope.key');
  const strangerKeyFile = join(dir, 'stranger.key');
  const hubKeyFile = join(dir, 'hub.pubkey');
  let hub: PylabhubHubDouble;
  let producer: ShmProducerDouble;
  let heartbeats: NodeJS.Timeout | undefined;
  let server: Started | undefined;
  let browser: Browser;
  let page: Page;
  let url: string;

  async function serve(keyFile: string): Promise<void> {
    const started = await startCli(
      [
        'serve',
        '--port',
        '0',
        '--json',
        '--broker',
        'off',
        '--no-discovery',
        '--pylabhub',
        `${hub.endpoint},hub-key=${hubKeyFile}`,
        '--pylabhub-key',
        keyFile,
      ],
      /\{"url".*\}\n/,
    );
    server = started;
    url = (JSON.parse(started.match[0]) as { url: string }).url;
  }

  beforeAll(async () => {
    writeKeyFile(ownKeyFile, own);
    writeKeyFile(strangerKeyFile, stranger);
    hub = await PylabhubHubDouble.start({
      knownRoles: [
        { name: 'hubscope', uid: hubscopeConsumerUid(own.publicKey), role: 'any', pubkey_z85: own.publicKey },
      ],
    });
    writeFileSync(hubKeyFile, hub.publicKey); // as plh_hub writes hub.pubkey: no newline
    producer = await startShmProducer({ dir, channel: CHANNEL, image: writerImage(), behaviour: 'hand-over' });
    hub.addChannel({
      name: CHANNEL,
      producerUid: PRODUCER_UID,
      producerName: 'e2ecam',
      producerPid: process.pid,
      producerPubkey: producer.publicKey,
      transport: 'shm',
      endpoint: producer.endpoint,
      topology: 'fan-out',
      schemaId: 'lab.e2e.vector',
      shmMetrics: null,
    });
    // The producer's heartbeats keep the channel live; its counter gives the hub's rate (100/s).
    let written = 0;
    const beat = () => hub.heartbeat(CHANNEL, PRODUCER_UID, { role: { out_slots_written: (written += 50) } });
    beat();
    heartbeats = setInterval(beat, 500);
    browser = await launchChromium();
    page = await browser.newPage();
  });

  afterAll(async () => {
    clearInterval(heartbeats);
    await browser?.close();
    await server?.stop();
    await producer?.close();
    await hub?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  describe('with HubScope on the allow-list', () => {
    beforeAll(() => serve(ownKeyFile));
    afterAll(async () => {
      await server?.stop();
      server = undefined;
    });

    it('shows the hub channel with the pylabhub badge, its rate, and why there is no preview', async () => {
      await page.goto(`${url}#/channels`);
      const row = page.locator(`tr[data-channel="${CHANNEL}"]`);
      await row.filter({ hasText: 'pylabhub' }).filter({ hasText: 'active' }).waitFor();
      await row.filter({ hasText: /100(\.0)?\s*\/s/ }).waitFor();
      expect(await row.textContent()).toContain('e2ecam');
      const panel = page.getByTestId('pylabhub-row');
      await panel.filter({ hasText: MEMFD_NO_PREVIEW }).waitFor();
      expect(await page.getByTestId('pylabhub-attach').isEnabled()).toBe(true);
    });

    it('shows the hub in the Broker view: reachable, its key fingerprint, round trip and roles', async () => {
      await page.goto(`${url}#/broker`);
      const section = page.locator(`[data-testid="pylabhub-hub"][data-endpoint="${hub.endpoint}"]`);
      await section.getByTestId('pylabhub-state').filter({ hasText: 'reachable' }).waitFor();
      const text = (await section.textContent()) ?? '';
      expect(text).toContain(keyFingerprint(hub.publicKey));
      expect(text).toContain(keyFingerprint(own.publicKey));
      expect(text).toMatch(/round trip \d+\.\d\d ms/);
      expect(await section.getByTestId('pylabhub-roles').textContent()).toContain(PRODUCER_UID);
      expect(await section.getByTestId('pylabhub-channels').textContent()).toContain(CHANNEL);
      expect(await section.getByTestId('pylabhub-command').count()).toBe(0);
    });

    it('attaches as consumer on request, reads the handed-over DataBlock, and detaches', async () => {
      await page.goto(`${url}#/channels`);
      await page.getByTestId('pylabhub-attach').click();
      const open = page.getByTestId('pylabhub-open');
      await open.waitFor();
      expect(hub.consumersOf(CHANNEL)).toEqual([hubscopeConsumerUid(own.publicKey)]);
      expect(producer.verified).toEqual([true]);
      await open.click();
      const inspector = page.getByTestId('inspector');
      await inspector.getByText('valid', { exact: true }).waitFor();
      expect(await inspector.locator('h2').first().textContent()).toBe(`memfd:${CHANNEL}`);
      // The writer's records, read from the memfd the producer handed over, checksums verified.
      const records = page.getByTestId('records-table').locator('tbody tr');
      await records.first().waitFor();
      expect(await records.count()).toBeGreaterThanOrEqual(4);
      expect(await records.first().textContent()).toContain('ok');
      await page.goto(`${url}#/channels`);
      await page.getByTestId('pylabhub-detach').click();
      await page.getByTestId('pylabhub-attach').waitFor();
      expect(hub.consumersOf(CHANNEL)).toEqual([]);
    });
  });

  describe('with a key the hub does not know', () => {
    beforeAll(() => serve(strangerKeyFile));

    it('says the hub is silent, why, and shows the exact plh_hub command with a copy button', async () => {
      await page.goto(`${url}#/broker`);
      const section = page.locator(`[data-testid="pylabhub-hub"][data-endpoint="${hub.endpoint}"]`);
      await section.getByTestId('pylabhub-state').filter({ hasText: 'silent' }).waitFor({ timeout: 20_000 });
      expect(await section.getByTestId('pylabhub-problem').textContent()).toMatch(/allow-list/);
      const command = (await section.getByTestId('pylabhub-command').textContent()) ?? '';
      expect(command).toBe(
        `plh_hub <hub_dir> --add-known-role hubscope ${hubscopeConsumerUid(stranger.publicKey)} any '${stranger.publicKey}'`,
      );
      expect(await section.getByTestId('pylabhub-copy').isVisible()).toBe(true);
      // Nothing from a silent hub reaches the Channels view.
      await page.goto(`${url}#/channels`);
      await page.getByRole('heading', { name: 'Channels', exact: true }).waitFor();
      expect(await page.locator(`tr[data-channel="${CHANNEL}"]`).count()).toBe(0);
    });
  });
});
