// The public shapes of HubScope's pylabhub view (docs/pylabhub.md), apart from the
// monitor class so that the monitor and its parts (reachability, channel rows,
// consumer attachments) share them without importing each other. monitor.ts
// re-exports all of them: callers import from './monitor.js'.
export interface PylabhubHubOptions {
  endpoint: string; // e.g. tcp://127.0.0.1:5570
  hubKeyFile: string; // hub.pubkey: 40-char Z85, line 1 taken
  keyFile: string; // HubScope key file (main/keys readKeyFile format)
  routingId?: string; // default: `hubscope-monitor-<8 hex of own key fingerprint>-<pid>` unique
  pollMs?: number; // default 1000 (hub metrics change every 500 ms)
  requestTimeoutMs?: number; // default 2000
}
export interface PylabhubRole {
  uid: string;
  name: string | null;
  pid: number | null;
}
export interface PylabhubChannel {
  name: string;
  transport: 'shm' | 'zmq' | null;
  observable: string | null; // 'registering' | 'live' | 'stalled' | 'absent' | other (hub wins)
  producer: PylabhubRole | null; // first producer
  producerUids: string[];
  consumers: PylabhubRole[]; // from METRICS shm_blocks / metrics.consumers
  consumerCount: number | null;
  schemaId: string | null;
  schemaHash: string | null; // 128 hex from DISC_ACK / SCHEMA_ACK
  topology: string | null;
  slotsPerSec: number | null; // delta of role.out_slots_written between two metrics
  metricsCollectedAt: string | null;
  /** 'named' when the hub reads a named /dev/shm segment called like the channel
   *  (shm_metrics filled), 'memfd' when shm_metrics is null, null for zmq/unknown. */
  shmKind: 'named' | 'memfd' | null;
}
export type PylabhubHubState = 'connecting' | 'reachable' | 'silent' | 'unreachable';
export interface PylabhubHubStatus {
  endpoint: string;
  hubKeyFingerprint: string; // keyFingerprint(hub public key)
  ownPublicKey: string; // HubScope's public key (for the allow-list command)
  ownKeyFingerprint: string;
  routingId: string;
  state: PylabhubHubState;
  rttMs: number | null; // last CHANNEL_LIST_REQ round trip
  lastReplyAt: number | null; // Date.now() of last valid reply
  /** Human sentence a user can act on, or null when reachable. */
  problem: string | null;
  /** The exact plh_hub command the admin must run when silent, else null. */
  allowListCommand: string | null;
  roles: string[]; // uids seen (producers, consumers)
  /** Places where the hub disagreed with the spec (logged once each, work goes on). */
  differences: string[];
}
/** One channel HubScope attached to as a consumer: live, or how it ended. */
export interface PylabhubAttachmentStatus {
  channel: string;
  consumerUid: string;
  /**
   * attached: the hub holds the registration (as far as the polls tell); forgotten: two
   * answered polls after the registration no longer listed HubScope as a consumer of
   * the channel, and the one re-registration is under way; ended: see endedReason.
   */
  state: 'attached' | 'forgotten' | 'ended';
  /** The cadence of HEARTBEAT_NOTIFY: the ACK's heartbeat_interval_ms, at least 100. */
  heartbeatIntervalMs: number;
  heartbeatsSent: number;
  lastHeartbeatAt: number | null;
  /** The last thing that went wrong with the heartbeats (not sent; the hub sent ERROR), or null. */
  problem: string | null;
  /** While forgotten: what the hub's answers showed, in words (with the time of the first such answer), else null. */
  forgotten: string | null;
  /** Date.now() of the first answer that no longer listed HubScope, while forgotten; else null. */
  forgottenSince: number | null;
  /** What happened to the attachment on the way (e.g. a re-registration after the hub forgot it), oldest first. */
  history: string[];
  /** Why the attachment ended (the hub closed the channel, or refused to register it again), null until then. */
  endedReason: string | null;
  endedAt: number | null;
}
export interface PylabhubSnapshot {
  status: PylabhubHubStatus;
  channels: PylabhubChannel[];
  /** Attachments now, and the last one that ended per channel (until attached again). */
  attachments: PylabhubAttachmentStatus[];
}
/** Where a memfd channel can be attached as a consumer (H2's hand-over needs these). */
export interface PylabhubAttachTarget {
  channel: string;
  producerUid: string;
  producerPublicKey: string;
  endpoint: string /* unix://path */;
}
