// HubScope's services behind the contract: started once by whichever shell runs
// (Electron, or `hubscope serve`), answering requests through one Router and
// pushing topic changes through one TopicBus.
import { hostname } from 'node:os';
import type { AppInfo, BrokerStatus, DiscoveryStatus } from '../../preload/contract.js';
import { createRouter, noParams, type Router } from '../bridge/router.js';
import { VERSION } from '../version.js';
import { CONTRACT_VERSION, ApiError } from '../../preload/contract.js';
import { TopicBus } from './topic-bus.js';

export interface CoreOptions {
  shell: AppInfo['shell'];
}

export interface HubScopeCore {
  readonly router: Router;
  readonly bus: TopicBus;
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
  const bus = new TopicBus();
  const info: AppInfo = {
    version: VERSION,
    contractVersion: CONTRACT_VERSION,
    nativeVersion: await nativeVersion().catch(() => null),
    shell: options.shell,
    platform: process.platform,
    hostname: hostname(),
    pid: process.pid,
    discoveryDir: null,
  };

  const brokerOff: BrokerStatus = {
    mode: 'off',
    endpoint: null,
    connection: 'off',
    rttMs: null,
    bootId: null,
    startedAt: null,
    uptimeMs: null,
    clients: null,
    channels: [],
    schemas: [],
    error: null,
  };
  const discoveryOff: DiscoveryStatus = {
    dir: null,
    mode: 'off',
    pollIntervalMs: null,
    suggestPolling: null,
    entries: [],
    brokers: [],
    problems: [],
  };
  bus.publish('channels', []);
  bus.publish('datablocks', []);
  bus.publish('broker', brokerOff);
  bus.publish('discovery', discoveryOff);

  const router = createRouter(
    {
      'app.info': () => info,
      'channels.get': () => bus.latest('channels') ?? [],
      'datablocks.get': () => bus.latest('datablocks') ?? [],
      'broker.get': () => bus.latest('broker') ?? brokerOff,
      'discovery.get': () => bus.latest('discovery') ?? discoveryOff,
      'datablock.inspect': (params) => {
        throw new ApiError('UNAVAILABLE', `Inspecting ${params.name} is not available yet.`);
      },
    },
    {
      'app.info': noParams,
      'channels.get': noParams,
      'datablocks.get': noParams,
      'broker.get': noParams,
      'discovery.get': noParams,
      'datablock.inspect': (params) => {
        const p = params as { name?: unknown; records?: unknown; schemaPath?: unknown } | null;
        if (!p || typeof p.name !== 'string' || p.name.length === 0 || p.name.length > 255) {
          throw new ApiError('BAD_REQUEST', 'datablock.inspect needs a segment name (1 to 255 characters).');
        }
        return { name: p.name };
      },
    },
  );

  return {
    router,
    bus,
    info: () => info,
    async close() {},
  };
}
