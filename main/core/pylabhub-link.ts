// The app's side of pylabhub hubs (--pylabhub): one PylabhubMonitor per hub, its
// snapshots turned into the contract's `pylabhub` topic and into channels for the
// merge of all sources. A monitor only: nothing is registered on a hub unless the
// user asks for one channel ("Attach as consumer"), and that is undone on detach
// and when the core closes. When the hub ends an attachment itself (it closed the
// channel), the handed-over DataBlock is let go and the topic says why.
import { ApiError, type PylabhubAttachDto, type PylabhubHubDto } from '../../preload/contract.js';
import { keyFingerprint, loadOrCreateKeyPair, readKeyFile } from '../keys/index.js';
import { hubscopeConsumerUid } from '../pylabhub/allow-list-command.js';
import { readHubPublicKey } from '../pylabhub/key-files.js';
import { PylabhubMonitor, type PylabhubChannel, type PylabhubSnapshot } from '../pylabhub/monitor.js';
import { isLocalEndpoint, type PylabhubHubChoice } from './pylabhub-options.js';
import {
  closeHandover,
  openDataBlockFromFd,
  receiveDataBlockFd,
  type HandoverResult,
} from '../pylabhub/shm-handover.js';
import { ATTACHED_PREFIX, holdAttachedSegment } from './attached-segments.js';
import type { LinkedHubChannel } from './pylabhub-rows.js';

/** A channel the user attached to: the contract's view, and what to give back on detach. */
interface Attachment {
  dto: PylabhubAttachDto;
  handover: HandoverResult;
  release: () => void;
}

/** Longest the producer's hand-over may take (connect, challenge, fd). */
const HANDOVER_TIMEOUT_MS = 5000;

interface LinkedHub {
  choice: PylabhubHubChoice;
  local: boolean;
  monitor: PylabhubMonitor | null;
  /** Why no monitor runs (a key file that became unreadable after the options were checked). */
  failure: string | null;
  snapshot: PylabhubSnapshot | null;
  attached: Map<string, Attachment>;
  unsubscribe: (() => void) | null;
}

function fingerprintOr(read: () => string): string {
  try {
    return keyFingerprint(read());
  } catch {
    return '—';
  }
}

function channelDto(c: PylabhubChannel): PylabhubHubDto['channels'][number] {
  return {
    name: c.name,
    transport: c.transport,
    observable: c.observable,
    producer: c.producer ? { uid: c.producer.uid, name: c.producer.name, pid: c.producer.pid } : null,
    consumers: c.consumers.map((r) => ({ uid: r.uid, name: r.name, pid: r.pid })),
    consumerCount: c.consumerCount,
    schemaId: c.schemaId,
    schemaHash: c.schemaHash,
    topology: c.topology,
    slotsPerSec: c.slotsPerSec,
    shmKind: c.shmKind,
  };
}

function giveUp(attachment: Attachment): void {
  attachment.release();
  closeHandover(attachment.handover);
}

export class PylabhubLink {
  private readonly hubs: LinkedHub[];

  constructor(
    choices: PylabhubHubChoice[],
    private readonly onChange: () => void,
  ) {
    this.hubs = choices.map((choice) => ({
      choice,
      local: isLocalEndpoint(choice.endpoint),
      monitor: null,
      failure: null,
      snapshot: null,
      attached: new Map(),
      unsubscribe: null,
    }));
  }

  /** Starts every monitor; a hub whose monitor cannot start is reported with the reason, the others run. */
  start(): void {
    for (const hub of this.hubs) {
      try {
        // The default key is this user's client key, made on first use like the MessageHub client does.
        if (hub.choice.createKey) loadOrCreateKeyPair(hub.choice.keyFile);
        const monitor = new PylabhubMonitor({
          endpoint: hub.choice.endpoint,
          hubKeyFile: hub.choice.hubKeyFile,
          keyFile: hub.choice.keyFile,
        });
        hub.monitor = monitor;
        hub.snapshot = monitor.snapshot();
        const offChange = monitor.onChange((s) => {
          hub.snapshot = s;
          this.onChange();
        });
        const offEnded = monitor.onAttachmentEnded((a) => {
          const attachment = hub.attached.get(a.channel);
          if (!attachment) return;
          hub.attached.delete(a.channel);
          giveUp(attachment); // memfd:<channel> opens nothing from now on
          hub.snapshot = monitor.snapshot();
          this.onChange();
        });
        hub.unsubscribe = () => {
          offChange();
          offEnded();
        };
        monitor.start();
      } catch (err) {
        hub.failure = (err as Error).message;
      }
    }
    if (this.hubs.length) this.onChange();
  }

  /** The contract's `pylabhub` topic: one entry per configured hub, in the order given. */
  status(): PylabhubHubDto[] {
    return this.hubs.map((hub) => {
      const s = hub.snapshot;
      const heartbeats = new Map((s?.attachments ?? []).map((a) => [a.channel, a]));
      const attached = [...hub.attached.values()].map((a) => ({
        ...a.dto,
        problem: heartbeats.get(a.dto.channel)?.problem ?? null,
        forgotten: heartbeats.get(a.dto.channel)?.forgotten ?? null,
        history: [...(heartbeats.get(a.dto.channel)?.history ?? [])],
      }));
      const ended = (s?.attachments ?? [])
        .filter((a) => a.state === 'ended')
        .map((a) => ({ channel: a.channel, reason: a.endedReason ?? 'ended', at: a.endedAt ?? 0 }));
      if (!s) {
        const ownKey = (): string => readKeyFile(hub.choice.keyFile).publicKey;
        return {
          endpoint: hub.choice.endpoint,
          hubKeyFingerprint: fingerprintOr(() => readHubPublicKey(hub.choice.hubKeyFile)),
          ownPublicKey: (() => {
            try {
              return ownKey();
            } catch {
              return '';
            }
          })(),
          ownKeyFingerprint: fingerprintOr(ownKey),
          routingId: '',
          state: hub.failure ? 'unreachable' : 'connecting',
          rttMs: null,
          lastReplyAt: null,
          problem: hub.failure,
          allowListCommand: null,
          roles: [],
          differences: [],
          channels: [],
          attached,
          ended,
        };
      }
      return {
        endpoint: s.status.endpoint,
        hubKeyFingerprint: s.status.hubKeyFingerprint,
        ownPublicKey: s.status.ownPublicKey,
        ownKeyFingerprint: s.status.ownKeyFingerprint,
        routingId: s.status.routingId,
        state: s.status.state,
        rttMs: s.status.rttMs,
        lastReplyAt: s.status.lastReplyAt,
        problem: s.status.problem,
        allowListCommand: s.status.allowListCommand,
        roles: [...s.status.roles],
        differences: [...s.status.differences],
        channels: s.channels.map(channelDto),
        attached,
        ended,
      };
    });
  }

  /** The channels of the hubs that answer now, for the merge (a silent hub's last listing is not compared). */
  channels(): LinkedHubChannel[] {
    const out: LinkedHubChannel[] = [];
    for (const hub of this.hubs) {
      const s = hub.snapshot;
      if (!s || s.status.state !== 'reachable') continue;
      for (const c of s.channels) {
        out.push({
          merge: {
            channel: c.name,
            hub: hub.choice.endpoint,
            hubLocal: hub.local,
            ...(c.transport ? { transport: c.transport } : {}),
            ...(c.observable !== null ? { observable: c.observable } : {}),
            ...(c.shmKind ? { shmKind: c.shmKind } : {}),
            ...(c.producer
              ? {
                  producer: {
                    uid: c.producer.uid,
                    ...(c.producer.name !== null ? { name: c.producer.name } : {}),
                    ...(c.producer.pid !== null ? { pid: c.producer.pid } : {}),
                  },
                }
              : {}),
            ...(c.schemaId !== null ? { schemaId: c.schemaId } : {}),
            ...(c.consumerCount !== null ? { consumerCount: c.consumerCount } : {}),
          },
          topology: c.topology,
          slotsPerSec: c.slotsPerSec,
          attached: hub.attached.has(c.name),
          segment: hub.attached.get(c.name)?.dto.handover.segment ?? null,
        });
      }
    }
    return out;
  }

  private hubFor(endpoint: string): LinkedHub & { monitor: PylabhubMonitor } {
    const hub = this.hubs.find((h) => h.choice.endpoint === endpoint);
    if (!hub)
      throw new ApiError('NOT_FOUND', `No pylabhub hub ${endpoint} is monitored (start with --pylabhub ${endpoint}).`);
    if (!hub.monitor)
      throw new ApiError('UNAVAILABLE', `The monitor of pylabhub hub ${endpoint} did not start: ${hub.failure}`);
    return hub as LinkedHub & { monitor: PylabhubMonitor };
  }

  /**
   * Registers this app as a consumer of one channel, at the user's request (the hub's
   * rules apply), and receives the memfd DataBlock from its producer so the inspector
   * and the live views can read it as `memfd:<channel>`. A hand-over that fails gives
   * the consumer seat back at once: a seat without data helps nobody.
   */
  async attach(endpoint: string, channel: string): Promise<PylabhubAttachDto> {
    const hub = this.hubFor(endpoint);
    const existing = hub.attached.get(channel);
    if (existing) return existing.dto;
    if (!hub.local) {
      throw new ApiError(
        'UNAVAILABLE',
        `pylabhub hub ${endpoint} is on another host: a producer hands its DataBlock over a Unix socket on its own host only.`,
      );
    }
    const own = readKeyFile(hub.choice.keyFile);
    // The uid the allow-list command gave this app's key: the hub checks known_roles[uid] against it.
    const consumerUid = hubscopeConsumerUid(own.publicKey);
    let target;
    try {
      target = await hub.monitor.attachAsConsumer(channel, consumerUid);
    } catch (err) {
      // The hub's refusal (one-to-one seat taken, key not allowed) is for the person who asked.
      throw new ApiError('UNAVAILABLE', (err as Error).message);
    }
    const segment = `${ATTACHED_PREFIX}${channel}`;
    let handover: HandoverResult | undefined;
    let release: (() => void) | undefined;
    try {
      handover = await receiveDataBlockFd(
        target,
        { uid: consumerUid, publicKey: own.publicKey, secretKey: own.secretKey },
        { timeoutMs: HANDOVER_TIMEOUT_MS },
      );
      const received = handover;
      openDataBlockFromFd(received).close(); // refuses a block the reader cannot read, before it is offered
      // The hub may have closed the channel during the hand-over: nothing to hold then.
      const now = hub.monitor.snapshot().attachments.find((a) => a.channel === channel);
      if (!now || now.state === 'ended') {
        closeHandover(received);
        throw new ApiError('UNAVAILABLE', `attached to ${channel}, but ${now?.endedReason ?? 'the attachment ended'}`);
      }
      release = holdAttachedSegment(segment, () => openDataBlockFromFd(received));
    } catch (err) {
      if (err instanceof ApiError) throw err;
      if (handover) closeHandover(handover);
      await hub.monitor.detach(channel).catch(() => undefined);
      throw new ApiError(
        'UNAVAILABLE',
        `registered as consumer of ${channel}, but the producer's hand-over failed: ${(err as Error).message}. The consumer seat was given back.`,
      );
    }
    const dto: PylabhubAttachDto = {
      hub: endpoint,
      channel,
      consumerUid,
      producerUid: target.producerUid,
      capabilityEndpoint: target.endpoint,
      handover: {
        size: handover.size,
        segment,
        message: `the producer handed over its DataBlock (${handover.size} bytes); open ${segment} to read it`,
      },
    };
    hub.attached.set(channel, { dto, handover, release });
    this.onChange();
    return dto;
  }

  /** Gives the consumer seat back and closes the handed-over DataBlock. */
  async detach(endpoint: string, channel: string): Promise<null> {
    const hub = this.hubFor(endpoint);
    const attachment = hub.attached.get(channel);
    if (!attachment) {
      throw new ApiError('NOT_FOUND', `This app is not attached to ${channel} on pylabhub hub ${endpoint}.`);
    }
    hub.attached.delete(channel);
    giveUp(attachment);
    this.onChange();
    try {
      await hub.monitor.detach(channel);
    } catch (err) {
      throw new ApiError('UNAVAILABLE', (err as Error).message);
    }
    return null;
  }

  async close(): Promise<void> {
    await Promise.all(
      this.hubs.map(async (hub) => {
        hub.unsubscribe?.();
        const monitor = hub.monitor;
        hub.monitor = null;
        if (!monitor) return;
        for (const [channel, attachment] of hub.attached) {
          giveUp(attachment);
          await monitor.detach(channel).catch(() => undefined);
        }
        hub.attached.clear();
        await monitor.close().catch(() => undefined);
      }),
    );
  }
}

/** Checks the params of pylabhub.attach / pylabhub.detach: { hub: endpoint, channel: name }. */
export function checkHubChannelParams(method: string): (params: unknown) => { hub: string; channel: string } {
  return (params) => {
    const p = params as { hub?: unknown; channel?: unknown } | null;
    if (
      !p ||
      typeof p.hub !== 'string' ||
      p.hub.length === 0 ||
      p.hub.length > 1024 ||
      typeof p.channel !== 'string' ||
      p.channel.length === 0 ||
      p.channel.length > 255
    ) {
      throw new ApiError(
        'BAD_REQUEST',
        `${method} needs { hub: the hub's endpoint, channel: a channel name (1 to 255 characters) }.`,
      );
    }
    return { hub: p.hub, channel: p.channel };
  };
}
