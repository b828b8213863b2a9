// Priority classes of channels (capability "qos", docs/protocol.md "Priority channels").
// A channel's class, set by its producer, decides how fast its producer must heartbeat
// (and so how soon its death is noticed), and which queued requests the broker serves
// first under load. Derived from the broker's base heartbeat interval so that a broker
// run with short intervals (tests) keeps critical at least as fast as normal.
import type { QosClassT } from '../protocol/messages.js';
import type { Liveness } from './channel-registry.js';

export const DEFAULT_QOS: QosClassT = 'normal';

/** Critical channels heartbeat at most this far apart (500 ms: dead within 1.5 s). */
export const CRITICAL_HEARTBEAT_MS = 500;
/** Bulk channels heartbeat this many times slower than normal ones. */
export const BULK_HEARTBEAT_FACTOR = 3;
/** Silent intervals before a registration is stale (as for the broker's default). */
const STALE_INTERVALS = 2;

/** Served in this order: lower first. */
export const QOS_PRIORITY: Readonly<Record<QosClassT, number>> = { critical: 0, normal: 1, bulk: 2 };

export interface QosTiming extends Liveness {
  heartbeatIntervalMs: number;
}

/**
 * Heartbeat interval and liveness of a class, for a broker whose normal interval is
 * `baseIntervalMs` and liveness timeout `baseLivenessMs`: the same number of silent
 * intervals makes a registration stale (2) and removes it, only the interval differs.
 */
export function qosTiming(qos: QosClassT, baseIntervalMs: number, baseLivenessMs: number): QosTiming {
  const interval =
    qos === 'critical'
      ? Math.min(baseIntervalMs, CRITICAL_HEARTBEAT_MS)
      : qos === 'bulk'
        ? baseIntervalMs * BULK_HEARTBEAT_FACTOR
        : baseIntervalMs;
  const scale = interval / baseIntervalMs;
  return {
    heartbeatIntervalMs: interval,
    staleAfterMs: interval * STALE_INTERVALS,
    removeAfterMs: Math.round(baseLivenessMs * scale),
  };
}
