// The pylabhub side of a Channels row: why the data cannot be previewed (memfd
// DataBlocks reach registered consumers only), and whether "Attach as consumer"
// may be offered. Pure; pylabhub-link.ts feeds it what the hub monitor reports.
import type { PylabhubRowDto } from '../../preload/contract.js';
import type { HubChannel } from '../discovery/merge.js';

/** A hub's channel with what the merge does not need but the row shows. */
export interface LinkedHubChannel {
  merge: HubChannel;
  topology: string | null;
  slotsPerSec: number | null;
  /** This app attached to it as a consumer (at the user's request). */
  attached: boolean;
  /** The DataBlock the producer handed over while attached (`memfd:<channel>`), else null. */
  segment: string | null;
}

export const MEMFD_NO_PREVIEW =
  'memfd DataBlock: the hub hands it only to a registered consumer of the same OS user; use Attach as consumer';

function attachRule(c: LinkedHubChannel): PylabhubRowDto['attach'] {
  const h = c.merge;
  if (h.shmKind !== 'memfd') return null;
  if (c.attached) return { enabled: false, reason: 'attached as consumer by this app', attached: true };
  if (!h.hubLocal) {
    return {
      enabled: false,
      reason:
        "the hub is on another host: the DataBlock's file descriptor is handed over a Unix socket on the producer's host only",
      attached: false,
    };
  }
  const consumers = h.consumerCount ?? 0;
  // One consumer seat: one-to-one (the hub's default when it does not say) and fan-in.
  const oneToOne = c.topology === null || c.topology === 'one-to-one' || c.topology === 'fan-in';
  if (oneToOne && consumers >= 1) {
    return {
      enabled: false,
      reason:
        c.topology === null
          ? `the hub does not say this channel's topology; the default one-to-one admits one consumer and it has ${consumers}`
          : `${c.topology} channel: its only consumer seat is taken (${consumers} consumer${consumers === 1 ? '' : 's'})`,
      attached: false,
    };
  }
  return {
    enabled: true,
    reason: oneToOne
      ? `registers this app as the channel's consumer: it takes the only consumer seat (${c.topology ?? 'one-to-one'}) until you detach`
      : 'registers this app as one more consumer of the channel until you detach',
    attached: false,
  };
}

function noPreviewOf(c: LinkedHubChannel, hasSegment: boolean): string | null {
  const h = c.merge;
  if (hasSegment || c.segment) return null;
  if (h.transport === 'zmq')
    return 'zmq channel: its records travel over ZeroMQ between the roles; there is no DataBlock to read';
  if (h.shmKind === 'memfd') {
    const attach = attachRule(c);
    return attach && !attach.enabled && !attach.attached
      ? `${MEMFD_NO_PREVIEW} (not possible here: ${attach.reason})`
      : MEMFD_NO_PREVIEW;
  }
  if (h.shmKind === 'named')
    return `the hub reads a named segment ${h.channel}, but it is not in /dev/shm on this host`;
  return 'the hub does not say where this DataBlock lives';
}

export function pylabhubRowDto(c: LinkedHubChannel, hasSegment: boolean): PylabhubRowDto {
  const h = c.merge;
  return {
    hub: h.hub,
    transport: h.transport ?? null,
    shmKind: h.shmKind ?? null,
    observable: h.observable ?? null,
    topology: c.topology,
    noPreview: noPreviewOf(c, hasSegment),
    segment: c.segment,
    attach: attachRule(c),
  };
}
