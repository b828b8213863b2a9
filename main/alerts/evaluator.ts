// Which alert conditions hold right now, from the core's own topics (channels,
// datablocks, broker): what the monitor and the merge already computed, compared
// with the rule thresholds. The few rules about change over time (checksum
// failures rising, broker unreachable for a while) keep what they need here.
import type { AlertRuleName, AlertRules, BrokerStatus, ChannelRow, DataBlockRow } from '../../preload/contract.js';
import { normaliseShmName } from '../discovery/merge.js';

export interface AlertInputs {
  channels: ChannelRow[];
  datablocks: DataBlockRow[];
  broker: BrokerStatus;
}

/** One rule holding for one subject. `key` stays the same while it holds. */
export interface AlertCondition {
  key: string;
  rule: AlertRuleName;
  subject: string;
  channel: string | null;
  message: string;
}

/** Words the merge uses when sources disagree on a channel's schema (main/discovery/merge.ts). */
const SCHEMA_MISMATCH = /disagree on the schema|slot schema hash/;

export class AlertEvaluator {
  /** Per segment: the last checksum failure count and when it last rose. */
  private readonly checksums = new Map<string, { count: number; roseAt: number | null }>();
  private brokerDownSince: number | null = null;

  evaluate(rules: AlertRules, inputs: AlertInputs, now: number = Date.now()): AlertCondition[] {
    const out: AlertCondition[] = [];
    const channelOf = new Map<string, string>();
    for (const row of inputs.channels) if (row.shmName) channelOf.set(normaliseShmName(row.shmName), row.channel);

    const seen = new Set<string>();
    for (const block of inputs.datablocks) {
      seen.add(block.name);
      const channel = channelOf.get(normaliseShmName(block.name)) ?? null;
      const subject = `/dev/shm/${block.name}`;
      const add = (rule: AlertRuleName, message: string): void => {
        out.push({ key: `${rule}:${subject}`, rule, subject, channel, message });
      };
      if (!block.valid) continue;
      if (rules.noRecord.enabled && block.alive === true && block.idleMs !== null) {
        if (block.idleMs >= rules.noRecord.seconds * 1000) {
          add(
            'noRecord',
            `no new record in ${subject} for ${Math.round(block.idleMs / 1000)} s, although its producer is alive`,
          );
        }
      }
      if (rules.heartbeatStale.enabled && block.liveness.startsWith('stale heartbeat')) {
        add('heartbeatStale', `the producer of ${subject} has a stale heartbeat: ${block.liveness}`);
      }
      if (rules.producerDead.enabled && block.alive === false) {
        add('producerDead', `the producer of ${subject} is dead but the segment remains: ${block.liveness}`);
      }
      if (block.checksumFailures !== null) {
        const prev = this.checksums.get(block.name);
        const rose = prev !== undefined && block.checksumFailures > prev.count;
        const roseAt = rose ? now : (prev?.roseAt ?? null);
        this.checksums.set(block.name, { count: block.checksumFailures, roseAt });
        if (rules.checksumFailures.enabled && roseAt !== null && now - roseAt < rules.checksumFailures.seconds * 1000) {
          add(
            'checksumFailures',
            `the producer of ${subject} counts ${block.checksumFailures} checksum failures, more than ${Math.round((now - roseAt) / 1000)} s ago`,
          );
        }
      }
      if (rules.consumerLag.enabled && block.lag !== null && block.lag >= rules.consumerLag.records) {
        add(
          'consumerLag',
          `the consumers of ${subject} are ${block.lag} records behind (threshold ${rules.consumerLag.records})`,
        );
      }
      // Under a Sequential policy the producer must wait for its consumers; more unread
      // records than the ring holds means some were overwritten before they were read.
      // (Ring wraps as such are normal: every ring reuses its slots.)
      if (
        rules.ringOverwrites.enabled &&
        block.syncPolicy?.startsWith('Sequential') === true &&
        block.lag !== null &&
        block.capacity !== null &&
        block.lag > block.capacity
      ) {
        add(
          'ringOverwrites',
          `${subject} overwrote ${block.lag - block.capacity} records its ${block.syncPolicy} consumers had not read`,
        );
      }
    }
    for (const name of this.checksums.keys()) if (!seen.has(name)) this.checksums.delete(name);

    if (rules.schemaMismatch.enabled) {
      for (const row of inputs.channels) {
        const issue = row.issues.find((i) => SCHEMA_MISMATCH.test(i));
        if (issue) {
          out.push({
            key: `schemaMismatch:channel ${row.channel}`,
            rule: 'schemaMismatch',
            subject: `channel ${row.channel}`,
            channel: row.channel,
            message: issue,
          });
        }
      }
    }

    const broker = inputs.broker;
    const down = broker.mode !== 'off' && broker.connection !== 'connected';
    if (!down) this.brokerDownSince = null;
    else this.brokerDownSince ??= now;
    if (
      rules.brokerUnreachable.enabled &&
      this.brokerDownSince !== null &&
      now - this.brokerDownSince >= rules.brokerUnreachable.seconds * 1000
    ) {
      const subject = `broker ${broker.endpoint ?? '(no endpoint)'}`;
      out.push({
        key: 'brokerUnreachable',
        rule: 'brokerUnreachable',
        subject,
        channel: null,
        message: `${subject} has not answered for ${Math.round((now - this.brokerDownSince) / 1000)} s${broker.error ? `: ${broker.error}` : ''}`,
      });
    }
    return out;
  }
}
