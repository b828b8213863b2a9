// The app's broker status carries the broker's metrics, this app's health of it and
// the embedded broker's trace (what the Broker view shows).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCore, type HubScopeCore } from '../../main/core/hubscope-core.js';
import { waitFor } from './datablock-helpers.js';

describe('broker status: metrics, health and trace', () => {
  const dir = mkdtempSync(join(tmpdir(), 'hubscope-metrics-core-'));
  let core: HubScopeCore;

  beforeAll(async () => {
    core = await startCore({
      shell: 'browser',
      services: {
        broker: { mode: 'embedded', endpoint: 'tcp://127.0.0.1:0' },
        discovery: { dir, source: 'option', perUser: false, pollIntervalMs: null },
        sampleIntervalMs: 200,
      },
    });
  });
  afterAll(async () => {
    await core?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("counts the app's own requests, judges the broker reachable and traces its exchanges", async () => {
    await waitFor(() => (core.bus.latest('broker')?.metrics?.requestsByType.PING ?? 0) > 0, 15_000, 'metrics');
    const broker = core.bus.latest('broker')!;
    expect(broker.health?.state).toBe('reachable');
    expect(broker.health?.rttHistoryMs.length).toBeGreaterThan(0);
    expect(broker.metrics!.sessions).toBeGreaterThanOrEqual(1);
    expect(broker.metrics!.connections.some((c) => c.client?.startsWith('hubscope-app'))).toBe(true);
    const ping = broker.trace.find((e) => e.direction === 'in' && e.type === 'PING');
    expect(ping).toBeDefined();
    expect(broker.trace).toContainEqual(
      expect.objectContaining({ direction: 'out', type: 'PING_OK', correlationId: ping!.correlationId }),
    );
  });
});
