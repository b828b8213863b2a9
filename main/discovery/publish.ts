// Writers of discovery files: a producer publishes one descriptor per channel,
// a broker publishes its endpoint. Both are HeartbeatFiles.
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { chooseDiscoveryDir, ensureDiscoveryDir } from './directory.js';
import {
  BROKER_ENDPOINT_FORMAT,
  CHANNEL_DESCRIPTOR_FORMAT,
  type BrokerEndpoint,
  type ChannelDescriptor,
} from './format.js';
import { HeartbeatFile, type HeartbeatFileOptions } from './heartbeat-file.js';
import { localBootId, localHost, pidAlive } from './host.js';
import { assessLiveness } from './liveness.js';
import { brokerFileName, descriptorFileName } from './names.js';
import { validateBrokerEndpoint, validateChannelDescriptor } from './validate.js';

export const DEFAULT_HEARTBEAT_INTERVAL_MS = 5_000;

/** What a producer says about its channel; the writer adds format, host, pid, times. */
export type DescriptorInput = Omit<
  ChannelDescriptor,
  'format' | 'host' | 'pid' | 'bootId' | 'instance' | 'createdAt' | 'updatedAt' | 'heartbeatIntervalMs'
> & { createdAt?: string };

export type BrokerEndpointInput = Pick<BrokerEndpoint, 'endpoint'> &
  Partial<Pick<BrokerEndpoint, 'name' | 'version' | 'startedAt' | 'serverKey' | 'security'>>;

export interface PublishOptions extends HeartbeatFileOptions {
  heartbeatIntervalMs?: number;
  /** Overwrite a descriptor for the same channel whose writer may still be alive. */
  replace?: boolean;
}

export interface DescriptorHandle {
  readonly path: string;
  readonly descriptor: ChannelDescriptor;
  readonly lastError: Error | undefined;
  refresh(): Promise<void>;
  update(change: Partial<DescriptorInput>): Promise<void>;
  remove(): Promise<void>;
}

export interface BrokerEndpointHandle {
  readonly path: string;
  readonly endpoint: BrokerEndpoint;
  readonly lastError: Error | undefined;
  refresh(): Promise<void>;
  remove(): Promise<void>;
}

function prepareDir(dir: string): void {
  const choice = chooseDiscoveryDir();
  ensureDiscoveryDir(dir, choice.perUser && choice.dir === dir);
}

/** Refuses to overwrite another writer's descriptor unless that writer is stale. */
function assertNotOwnedByOther(path: string, channel: string): void {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return; // nothing there (or unreadable: the rename will tell)
  }
  let other: ChannelDescriptor;
  try {
    const v = validateChannelDescriptor(JSON.parse(text));
    if (!v.ok) return; // a broken file is not an owner
    other = v.value.descriptor;
  } catch {
    return;
  }
  if (other.host === localHost() && other.pid === process.pid) return; // ours, from an earlier handle
  const now = Date.now();
  const verdict = assessLiveness(other, {
    now,
    firstSeenAt: now,
    localHost: localHost(),
    localBootId: localBootId(),
    pidAlive,
  });
  if (verdict.status === 'stale') return;
  throw new Error(
    `channel "${channel}" is already published in ${path} by pid ${other.pid} on ${other.host} (${verdict.status}: ${verdict.reason}); pass { replace: true } to take it over`,
  );
}

export function publishDescriptor(dir: string, input: DescriptorInput, options: PublishOptions = {}): DescriptorHandle {
  const heartbeatIntervalMs = options.heartbeatIntervalMs ?? DEFAULT_HEARTBEAT_INTERVAL_MS;
  const now = new Date().toISOString();
  const bootId = localBootId();
  const descriptor: ChannelDescriptor = {
    format: CHANNEL_DESCRIPTOR_FORMAT,
    ...input,
    host: localHost(),
    pid: process.pid,
    ...(bootId ? { bootId } : {}),
    instance: randomUUID(),
    createdAt: input.createdAt ?? now,
    updatedAt: now,
    heartbeatIntervalMs,
  };
  const file = descriptorFileName(input.channel);
  prepareDir(dir);
  if (!options.replace) assertNotOwnedByOther(join(dir, file), input.channel);
  const validate = (d: ChannelDescriptor) => {
    const v = validateChannelDescriptor(d);
    return v.ok ? undefined : `invalid channel descriptor: ${v.reason}`;
  };
  const hb = new HeartbeatFile(dir, file, descriptor, validate, options);
  return {
    path: hb.path,
    get descriptor() {
      return hb.current;
    },
    get lastError() {
      return hb.lastError;
    },
    refresh: () => hb.refresh(),
    update: (change) => {
      if (change.channel !== undefined && change.channel !== descriptor.channel) {
        return Promise.reject(
          new Error(
            `a descriptor cannot change its channel (${descriptor.channel} → ${change.channel}); publish a new one`,
          ),
        );
      }
      return hb.update((current) => ({ ...current, ...change }));
    },
    remove: () => hb.remove(),
  };
}

export function publishBrokerEndpoint(
  dir: string,
  info: BrokerEndpointInput,
  options: Omit<PublishOptions, 'replace'> = {},
): BrokerEndpointHandle {
  const heartbeatIntervalMs = options.heartbeatIntervalMs ?? DEFAULT_HEARTBEAT_INTERVAL_MS;
  const now = new Date().toISOString();
  const bootId = localBootId();
  const endpoint: BrokerEndpoint = {
    format: BROKER_ENDPOINT_FORMAT,
    ...info,
    host: localHost(),
    pid: process.pid,
    ...(bootId ? { bootId } : {}),
    instance: randomUUID(),
    startedAt: info.startedAt ?? now,
    updatedAt: now,
    heartbeatIntervalMs,
  };
  prepareDir(dir);
  const validate = (e: BrokerEndpoint) => {
    const v = validateBrokerEndpoint(e);
    return v.ok ? undefined : `invalid broker endpoint: ${v.reason}`;
  };
  const hb = new HeartbeatFile(dir, brokerFileName(endpoint.host, endpoint.pid), endpoint, validate, options);
  return {
    path: hb.path,
    get endpoint() {
      return hb.current;
    },
    get lastError() {
      return hb.lastError;
    },
    refresh: () => hb.refresh(),
    remove: () => hb.remove(),
  };
}
