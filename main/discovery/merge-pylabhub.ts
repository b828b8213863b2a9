// What a pylabhub hub adds to the merge of all sources (merge.ts): its channel
// listing compared with the descriptor files, the broker and the segments found
// here, every disagreement in words. Pure; main/core adapts the hub monitor's
// snapshot to HubChannel so this module never imports main/pylabhub/.
import type { Liveness } from './liveness.js';
import type { ProducerFacts, SegmentSummary } from './merge.js';

/** A channel as a pylabhub hub lists it. */
export interface HubChannel {
  channel: string;
  /** The hub's broker endpoint. */
  hub: string;
  /** The hub runs on this host (loopback or ipc endpoint, or one of this host's addresses). */
  hubLocal: boolean;
  transport?: 'shm' | 'zmq';
  /** The hub's word: registering, live, stalled, absent, or another (the hub wins). */
  observable?: string;
  /** named: the hub reads a /dev/shm segment called like the channel; memfd: no name to open. */
  shmKind?: 'named' | 'memfd';
  producer?: ProducerFacts;
  schemaId?: string;
  consumerCount?: number;
}

/** What the hub's row is compared with. */
export interface HubContext {
  shmName: string | undefined;
  segment: SegmentSummary | undefined;
  file?: { name: string; local: boolean; pid: number; uid?: string; schemaId?: string };
  brokerSchemaId?: string;
  /** Other hubs listing a channel of the same name. */
  otherHubs: string[];
}

export function hubIssues(h: HubChannel, ctx: HubContext): string[] {
  const issues: string[] = [];
  const hub = `the pylabhub hub ${h.hub}`;
  if (ctx.otherHubs.length) {
    issues.push(
      `${ctx.otherHubs.length + 1} pylabhub hubs list this channel (${[h.hub, ...ctx.otherHubs].join(', ')}); shown as ${h.hub} lists it`,
    );
  }
  const seg = ctx.segment;
  if (h.shmKind === 'memfd' && seg) {
    issues.push(
      `${hub} hands this channel's DataBlock out as a memfd, but a named segment /dev/shm/${ctx.shmName} exists: it is not the block the hub's consumers get`,
    );
  }
  if (h.shmKind === 'named' && !seg && h.hubLocal) {
    issues.push(
      `${hub} reads a named segment ${h.channel}, but /dev/shm/${h.channel} does not exist on this host (another user's mount namespace, or removed)`,
    );
  }
  const hubPid = h.producer?.pid;
  if (seg && h.hubLocal && hubPid !== undefined && seg.producerPid !== undefined && seg.producerPid !== hubPid) {
    issues.push(
      `segment /dev/shm/${ctx.shmName} was written by pid ${seg.producerPid}, but ${hub} says the producer is pid ${hubPid}`,
    );
  }
  const file = ctx.file;
  if (file) {
    if (file.local && h.hubLocal && hubPid !== undefined && file.pid !== hubPid) {
      issues.push(`file ${file.name} and ${hub} disagree on the producer: pid ${file.pid} (file) vs ${hubPid} (hub)`);
    }
    if (file.schemaId && h.schemaId && file.schemaId !== h.schemaId) {
      issues.push(
        `file ${file.name} and ${hub} disagree on the schema id: "${file.schemaId}" (file) vs "${h.schemaId}" (hub)`,
      );
    }
  }
  if (ctx.brokerSchemaId && h.schemaId && ctx.brokerSchemaId !== h.schemaId) {
    issues.push(
      `the broker and ${hub} disagree on the schema id: "${ctx.brokerSchemaId}" (broker) vs "${h.schemaId}" (hub)`,
    );
  }
  if (seg?.alive === true && (h.observable === 'stalled' || h.observable === 'absent')) {
    issues.push(
      `${hub} says the channel is "${h.observable}" (no heartbeat from its producer), but the producer of segment /dev/shm/${ctx.shmName} is alive`,
    );
  }
  return issues;
}

/** The hub's verdict on liveness, or undefined when it says nothing. */
export function hubState(h: HubChannel): { state: Liveness; reason: string } | undefined {
  const word = h.observable;
  if (word === undefined) return undefined;
  const reason = `the pylabhub hub ${h.hub} says "${word}"`;
  if (word === 'live') return { state: 'live', reason };
  if (word === 'stalled' || word === 'absent') return { state: 'stale', reason };
  return { state: 'unknown', reason };
}
