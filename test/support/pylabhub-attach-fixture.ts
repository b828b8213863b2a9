// The setup the attach tests share (pylabhub-attach, pylabhub-forgotten-consumer): a
// temporary folder with HubScope's key, the hub double with that key allow-listed
// under HubScope's consumer uid and short liveness settings, shm channels whose
// producer the fixture keeps alive by heartbeating for it, and monitors of that hub
// closed after each test.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startCore, type HubScopeCore } from '../../main/core/hubscope-core.js';
import { generateKeyPair, writeKeyFile, type CurveKeyPair } from '../../main/keys/index.js';
import { hubscopeConsumerUid } from '../../main/pylabhub/allow-list-command.js';
import { PylabhubMonitor } from '../../main/pylabhub/monitor.js';
import { PylabhubHubDouble, type DoubleChannel } from './pylabhub-hub-double.js';

/** The producer of every fixture channel. */
export const ATTACH_PRODUCER_UID = 'prod.attach.uid00000001';

export interface AttachKeys {
  /** A fresh temporary folder (the caller removes it). */
  dir: string;
  own: CurveKeyPair;
  ownKeyFile: string;
  /** HubScope's consumer uid for `own` (the allow-list command's). */
  ownUid: string;
}

/** A temporary folder with a fresh HubScope key in it. */
export function attachKeys(prefix: string): AttachKeys {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const own = generateKeyPair();
  const ownKeyFile = join(dir, 'hubscope.key');
  writeKeyFile(ownKeyFile, own);
  return { dir, own, ownKeyFile, ownUid: hubscopeConsumerUid(own.publicKey) };
}

export interface AttachHub {
  hub: PylabhubHubDouble;
  hubKeyFile: string;
  /** Channels whose producer the fixture heartbeats for (every interval / 2); delete one to let it fall silent. */
  live: Set<string>;
  /** An shm channel (fan-out unless `spec` says otherwise), its producer live at once. */
  channel(name: string, spec?: Partial<DoubleChannel>): void;
  /** A monitor of the hub with HubScope's key; closed by closeMonitors(). */
  monitor(options?: { requestTimeoutMs?: number; pollMs?: number }): PylabhubMonitor;
  closeMonitors(): Promise<void>;
  /** The app's core (browser shell, no broker, no discovery) monitoring the hub with HubScope's key; the caller closes it. */
  app(): Promise<HubScopeCore>;
  /** Stops the producers' heartbeats and closes the hub (the folder stays). */
  close(): Promise<void>;
}

export async function startAttachHub(
  keys: AttachKeys,
  options: { intervalMs: number; miss: number; live?: Set<string> },
): Promise<AttachHub> {
  const hub = await PylabhubHubDouble.start({
    knownRoles: [{ name: 'hubscope', uid: keys.ownUid, role: 'any', pubkey_z85: keys.own.publicKey }],
    heartbeatIntervalMs: options.intervalMs,
    readyMissHeartbeats: options.miss,
    pendingMissHeartbeats: options.miss,
  });
  const hubKeyFile = join(keys.dir, `hub-${hub.endpoint.replace(/\W+/g, '-')}.pubkey`);
  writeFileSync(hubKeyFile, hub.publicKey);
  const live = options.live ?? new Set<string>();
  const monitors: PylabhubMonitor[] = [];
  const producerBeat = setInterval(() => {
    for (const name of live) hub.heartbeat(name, ATTACH_PRODUCER_UID);
  }, options.intervalMs / 2);
  return {
    hub,
    hubKeyFile,
    live,
    channel(name, spec = {}) {
      hub.addChannel({
        name,
        producerUid: ATTACH_PRODUCER_UID,
        producerPid: 4242,
        producerPubkey: generateKeyPair().publicKey,
        transport: 'shm',
        endpoint: `unix:///tmp/pylabhub-shmcap-${ATTACH_PRODUCER_UID}-${name}.sock`,
        topology: 'fan-out',
        ...spec,
      });
      hub.heartbeat(name, ATTACH_PRODUCER_UID);
      live.add(name);
    },
    monitor({ requestTimeoutMs = 1000, pollMs } = {}) {
      const m = new PylabhubMonitor({
        endpoint: hub.endpoint,
        hubKeyFile,
        keyFile: keys.ownKeyFile,
        requestTimeoutMs,
        ...(pollMs !== undefined ? { pollMs } : {}),
      });
      monitors.push(m);
      return m;
    },
    async closeMonitors() {
      await Promise.all(monitors.splice(0).map((m) => m.close()));
    },
    app() {
      return startCore({
        shell: 'browser',
        services: {
          broker: { mode: 'off' },
          discovery: null,
          sampleIntervalMs: 1000,
          pylabhub: [{ endpoint: hub.endpoint, hubKeyFile, keyFile: keys.ownKeyFile, createKey: false }],
        },
        alerts: { rulesFile: null },
      });
    },
    async close() {
      clearInterval(producerBeat);
      await hub.close();
    },
  };
}
