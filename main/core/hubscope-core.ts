// HubScope's services behind the contract, started once by whichever shell runs
// (Electron, or `hubscope serve`): the DataBlock monitor, the broker link, the
// discovery watcher, and the aggregation that merges them into the UI's topics.
// Requests are answered through one Router; changes are pushed through one TopicBus.
import { hostname } from 'node:os';
import { ApiError, CONTRACT_VERSION, type AlertRules, type AppInfo } from '../../preload/contract.js';
import { AlertEngine, type AlertNotifier } from '../alerts/alert-engine.js';
import { alertRulesPath } from '../alerts/rule-file.js';
import { createRouter, noParams, type Router } from '../bridge/router.js';
import { VERSION } from '../version.js';
import { findOrphans } from '../cleanup/orphans.js';
import { cleanOrphans } from '../cleanup/remove.js';
import { orphanDto, removalDto } from './orphan-dto.js';
import { BROKER_OFF, BrokerLink } from './broker-link.js';
import { channelRows } from './channel-rows.js';
import { DataBlockMonitor } from './datablock-monitor.js';
import { DISCOVERY_OFF, DiscoveryLink } from './discovery-link.js';
import { inspectDataBlock, MAX_RECORDS } from './inspect-datablock.js';
import { checkLiveClose, checkLiveOpen, checkLivePoll } from './live-params.js';
import { LiveStreams } from './live-stream.js';
import type { ServiceOptions } from './options.js';
import { checkHubChannelParams, PylabhubLink } from './pylabhub-link.js';
import { checkRecordStart, RecordSessions } from './record-session.js';
import { defaultRecordingsDir } from '../record/recordings-dir.js';
import { allowedSchemaDirs, lookUpSchema } from './schema-lookup.js';
import { unitsOf } from './schema-units.js';
import { TopicBus } from './topic-bus.js';

export interface CoreOptions {
  shell: AppInfo['shell'];
  services: ServiceOptions;
  /** Where segments are listed (default /dev/shm); tests point it elsewhere. */
  shmDir?: string;
  /** The alert rule file (default: the per-user one, docs/alerts.md; null: rules in memory only) and notifiers. */
  alerts?: { rulesFile?: string | null; notifiers?: AlertNotifier[] };
}

export interface HubScopeCore {
  readonly router: Router;
  readonly bus: TopicBus;
  /** Evaluated on every update whether a view is open or not; shells add their notifiers. */
  readonly alerts: AlertEngine;
  info(): AppInfo;
  close(): Promise<void>;
}

function nativeVersion(): Promise<string | null> {
  return import('../native/binding.js').then(
    (m) => m.native().version(),
    () => null,
  );
}

export async function startCore(options: CoreOptions): Promise<HubScopeCore> {
  const { services } = options;
  const bus = new TopicBus();
  const info: AppInfo = {
    version: VERSION,
    contractVersion: CONTRACT_VERSION,
    nativeVersion: await nativeVersion(),
    shell: options.shell,
    platform: process.platform,
    hostname: hostname(),
    pid: process.pid,
    discoveryDir: services.discovery?.dir ?? null,
  };

  const monitor = new DataBlockMonitor(options.shmDir);
  const discovery = services.discovery ? new DiscoveryLink(services.discovery, () => changed('discovery')) : null;
  const broker = new BrokerLink(services.broker, services.discovery?.dir ?? null, () => changed('broker'));
  const pylabhub = new PylabhubLink(services.pylabhub ?? [], () => changed('pylabhub'));
  const alertRulesFile = options.alerts?.rulesFile;
  const alerts = new AlertEngine({
    rulesFile: alertRulesFile === undefined ? alertRulesPath() : alertRulesFile,
    notifiers: options.alerts?.notifiers ?? [],
  });
  function evaluateAlerts(): void {
    bus.publish(
      'alerts',
      alerts.update({
        channels: bus.latest('channels') ?? [],
        datablocks: bus.latest('datablocks') ?? [],
        broker: bus.latest('broker') ?? BROKER_OFF,
      }),
    );
  }

  // Changes arrive from three sources at their own pace; the channel rows are
  // recomputed once per event-loop turn however many arrived.
  let channelsDue = false;
  let segmentsJson = '';
  function changed(what: 'discovery' | 'broker' | 'datablocks' | 'pylabhub'): void {
    if (what === 'discovery' && discovery) bus.publish('discovery', discovery.status());
    if (what === 'broker') bus.publish('broker', broker.status());
    if (what === 'pylabhub') bus.publish('pylabhub', pylabhub.status());
    if (what === 'datablocks') {
      const rows = bus.latest('datablocks');
      bus.publish('datablocks', monitor.current());
      // A sample that changed nothing (the usual idle tick) must not re-merge every channel.
      const json = JSON.stringify(monitor.segments(), (_key, v: unknown) => (typeof v === 'bigint' ? `${v}` : v));
      if (bus.latest('datablocks') === rows && json === segmentsJson) return;
      segmentsJson = json;
    }
    if (channelsDue) return;
    channelsDue = true;
    setImmediate(() => {
      channelsDue = false;
      bus.publish(
        'channels',
        channelRows({
          broker: broker.channels(),
          brokerEndpoint: broker.status().endpoint,
          files: discovery?.entries() ?? [],
          segments: monitor.segments(),
          datablocks: monitor.current(),
          pylabhub: pylabhub.channels(),
        }),
      );
      evaluateAlerts();
    });
  }

  bus.publish('broker', BROKER_OFF);
  bus.publish('pylabhub', []);
  bus.publish('discovery', discovery ? { ...DISCOVERY_OFF, dir: discovery.dir } : DISCOVERY_OFF);
  monitor.sample();
  changed('datablocks');
  // Discovery first: the embedded broker publishes its endpoint file into that directory.
  await discovery?.start();
  await broker.start();
  pylabhub.start();

  const sampler = setInterval(() => {
    monitor.sample();
    changed('datablocks');
    // Rules that count time (nothing arrived for N s) hold even when no topic changed.
    evaluateAlerts();
    // Staleness of descriptor files: the discovery watcher reports each change of status itself.
  }, services.sampleIntervalMs);

  const live = new LiveStreams();
  const recordings = new RecordSessions(
    services.recordingsDir ?? defaultRecordingsDir(),
    async (shmName, schemaPath) =>
      (
        await lookUpSchema(shmName, schemaPath, {
          files: discovery?.entries() ?? [],
          brokerChannels: broker.channels(),
          hub: broker.client,
          schemaDirs: allowedSchemaDirs(services),
        })
      )?.schema ?? null,
    // A channel name is recorded through its segment; a segment name stays as it is.
    (name) => bus.latest('channels')?.find((r) => r.channel === name && r.shmName)?.shmName ?? name,
  );
  const router = createRouter(
    {
      'app.info': () => info,
      'channels.get': () => bus.latest('channels') ?? [],
      'datablocks.get': () => bus.latest('datablocks') ?? [],
      'broker.get': () => bus.latest('broker') ?? BROKER_OFF,
      'discovery.get': () => bus.latest('discovery') ?? DISCOVERY_OFF,
      'datablock.inspect': async ({ name, records, schemaPath }) => {
        const schema = await lookUpSchema(name, schemaPath, {
          files: discovery?.entries() ?? [],
          brokerChannels: broker.channels(),
          hub: broker.client,
          schemaDirs: allowedSchemaDirs(services),
        });
        return inspectDataBlock(name, records ?? 16, schema);
      },
      'live.open': async ({ name, schemaPath }) => {
        const schema = await lookUpSchema(name, schemaPath, {
          files: discovery?.entries() ?? [],
          brokerChannels: broker.channels(),
          hub: broker.client,
          schemaDirs: allowedSchemaDirs(services),
        });
        // schemaPath, when given, has passed the same folder check in lookUpSchema.
        return live.open(name, schema, schema ? await unitsOf(schema.schema, schemaPath) : {});
      },
      'live.poll': (params) => live.next(params),
      'live.close': ({ streamId }) => live.close(streamId),
      'alerts.get': () => bus.latest('alerts') ?? alerts.status(),
      'alerts.rules.get': () => alerts.rules(),
      'orphans.get': async () =>
        (await findOrphans({ discoveryDir: services.discovery?.dir ?? null, shmDir: options.shmDir })).map(orphanDto),
      'orphans.clean': async () =>
        (await cleanOrphans({ discoveryDir: services.discovery?.dir ?? null, shmDir: options.shmDir })).map(removalDto),
      'pylabhub.get': () => bus.latest('pylabhub') ?? [],
      'pylabhub.attach': ({ hub, channel }) => pylabhub.attach(hub, channel),
      'pylabhub.detach': ({ hub, channel }) => pylabhub.detach(hub, channel),
      'record.start': (params) => recordings.start(params),
      'record.stop': () => recordings.stop(),
      'record.status': () => recordings.status(),
      'alerts.rules.set': ({ rules }) => {
        try {
          return alerts.setRules(rules);
        } catch (err) {
          throw new ApiError('BAD_REQUEST', (err as Error).message);
        }
      },
    },
    {
      'app.info': noParams,
      'channels.get': noParams,
      'datablocks.get': noParams,
      'broker.get': noParams,
      'discovery.get': noParams,
      'datablock.inspect': checkInspectParams,
      'live.open': checkLiveOpen,
      'live.poll': checkLivePoll,
      'live.close': checkLiveClose,
      'alerts.get': noParams,
      'alerts.rules.get': noParams,
      'alerts.rules.set': checkRulesParams,
      'orphans.get': noParams,
      'orphans.clean': noParams,
      'pylabhub.get': noParams,
      'pylabhub.attach': checkHubChannelParams('pylabhub.attach'),
      'pylabhub.detach': checkHubChannelParams('pylabhub.detach'),
      'record.start': checkRecordStart,
      'record.stop': noParams,
      'record.status': noParams,
    },
  );

  return {
    router,
    bus,
    alerts,
    info: () => info,
    async close() {
      clearInterval(sampler);
      await recordings.close();
      live.closeAll();
      monitor.close();
      await Promise.all([discovery?.close(), broker.close(), pylabhub.close()]);
    },
  };
}

function checkRulesParams(params: unknown): { rules: AlertRules } {
  const p = params as { rules?: unknown } | null;
  if (!p || typeof p.rules !== 'object' || p.rules === null) {
    throw new ApiError('BAD_REQUEST', 'alerts.rules.set needs { rules: {...} }.');
  }
  // The rule set itself is checked by the engine, which names what is wrong.
  return { rules: p.rules as AlertRules };
}

function checkInspectParams(params: unknown): { name: string; records?: number; schemaPath?: string } {
  const p = params as { name?: unknown; records?: unknown; schemaPath?: unknown } | null;
  if (!p || typeof p.name !== 'string' || p.name.length === 0 || p.name.length > 255) {
    throw new ApiError('BAD_REQUEST', 'datablock.inspect needs a segment name (1 to 255 characters).');
  }
  const out: { name: string; records?: number; schemaPath?: string } = { name: p.name };
  if (p.records !== undefined) {
    if (!Number.isInteger(p.records) || (p.records as number) < 1 || (p.records as number) > MAX_RECORDS) {
      throw new ApiError('BAD_REQUEST', `records must be a whole number from 1 to ${MAX_RECORDS}.`);
    }
    out.records = p.records as number;
  }
  if (p.schemaPath !== undefined) {
    if (typeof p.schemaPath !== 'string' || !p.schemaPath.endsWith('.json')) {
      throw new ApiError('BAD_REQUEST', 'schemaPath must be the path of a schema file ending in .json.');
    }
    out.schemaPath = p.schemaPath;
  }
  return out;
}
