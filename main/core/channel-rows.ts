// The Channels view's rows: the discovery layer's merge of broker registrations,
// descriptor files and segments, with each channel's throughput from the
// DataBlock monitor, shaped for the contract.
import type { ChannelRow as ChannelRowDto, DataBlockRow } from '../../preload/contract.js';
import type { DataBlockSummary } from '../datablock/list.js';
import { brokerChannelFromInfo } from '../discovery/broker-adapter.js';
import { segmentSummaryOf } from '../discovery/datablock-adapter.js';
import { mergeChannels, normaliseShmName, type ChannelRow } from '../discovery/merge.js';
import type { DiscoveryEntry } from '../discovery/model.js';
import type { ChannelInfoT } from '../protocol/messages.js';
import { groupFieldsOf } from './group-fields.js';
import { diagnoseSegment } from './diagnose.js';
import { pylabhubRowDto, type LinkedHubChannel } from './pylabhub-rows.js';

export interface ChannelInputs {
  /** undefined while no broker answers: nothing is then compared with it. */
  broker: ChannelInfoT[] | undefined;
  brokerEndpoint: string | null;
  files: DiscoveryEntry[];
  segments: DataBlockSummary[];
  datablocks: DataBlockRow[];
  /** Channels of the pylabhub hubs that answer (none without --pylabhub). */
  pylabhub?: LinkedHubChannel[];
}

function stateOf(row: ChannelRow): ChannelRowDto['state'] {
  if (row.brokerState === 'pending' || row.brokerState === 'closing') return row.brokerState;
  if (row.state === 'live') return 'active';
  if (row.hubChannel?.observable === 'registering') return 'pending';
  return row.state;
}

export function channelRows(inputs: ChannelInputs): ChannelRowDto[] {
  const rows = mergeChannels({
    ...(inputs.broker ? { broker: inputs.broker.map(brokerChannelFromInfo) } : {}),
    ...(inputs.brokerEndpoint ? { brokerEndpoint: inputs.brokerEndpoint } : {}),
    files: inputs.files,
    segments: inputs.segments.map(segmentSummaryOf),
    ...(inputs.pylabhub?.length ? { pylabhub: inputs.pylabhub.map((c) => c.merge) } : {}),
  });
  // The merge keeps the first hub's listing of a channel; its extra facts are keyed the same way.
  const hubFacts = new Map((inputs.pylabhub ?? []).map((c) => [`${c.merge.hub}\u0000${c.merge.channel}`, c]));
  const rates = new Map(inputs.datablocks.map((d) => [normaliseShmName(d.name), d]));
  const brokerInfo = new Map((inputs.broker ?? []).map((c) => [c.name, c]));
  return rows.map((row) => {
    const block = row.sources.includes('shm') && row.shmName ? rates.get(row.shmName) : undefined;
    const hub = row.hubChannel ? hubFacts.get(`${row.hubChannel.hub}\u0000${row.hubChannel.channel}`) : undefined;
    return {
      channel: row.channel,
      state: stateOf(row),
      sources: row.sources,
      shmName: row.shmName ?? null,
      schemaId: row.schemaId ?? null,
      schemaFingerprint: row.schemaFingerprint ?? null,
      producer: row.producer
        ? {
            // A segment-only row knows the pid; the segment header also names the producer.
            name: row.producer.name ?? block?.producerName ?? null,
            uid: row.producer.uid ?? null,
            pid: row.producer.pid ?? null,
            host: row.producer.host ?? null,
          }
        : null,
      consumerCount: row.consumerCount ?? null,
      // The segment's own counters when it is here; else the hub's rate from its metrics.
      recordsPerSec: block?.recordsPerSec ?? hub?.slotsPerSec ?? null,
      bytesPerSec: block?.bytesPerSec ?? null,
      issues: block ? [...row.issues, ...diagnoseSegment(block)] : row.issues,
      ...(brokerInfo.has(row.channel) ? groupFieldsOf(brokerInfo.get(row.channel)!) : {}),
      ...(hub ? { pylabhub: pylabhubRowDto(hub, row.sources.includes('shm')) } : {}),
    };
  });
}
