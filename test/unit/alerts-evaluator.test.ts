// The evaluator on hand-made rows, for what a real producer cannot be made to do
// here: a Sequential ring that overwrote unread records (our writer waits for its
// consumers, as the protocol says). Also disabled rules and the broker being off.
import { describe, expect, it } from 'vitest';
import type { BrokerStatus, DataBlockRow } from '../../preload/contract.js';
import { HEALTHY_SEQUENTIAL_ROW } from '../support/datablock-rows.js';
import { AlertEvaluator } from '../../main/alerts/evaluator.js';
import { DEFAULT_ALERT_RULES } from '../../main/alerts/rules.js';
import { BROKER_OFF } from '../../main/core/broker-link.js';

const block: DataBlockRow = { ...HEALTHY_SEQUENTIAL_ROW, overwritesPerSec: 10 };
const inputs = (b: DataBlockRow, broker: BrokerStatus = BROKER_OFF) => ({ channels: [], datablocks: [b], broker });

describe('alert evaluator', () => {
  it('says nothing about a healthy Sequential ring that wraps (every ring reuses its slots)', () => {
    expect(new AlertEvaluator().evaluate(DEFAULT_ALERT_RULES, inputs(block))).toEqual([]);
  });

  it('raises ring overwrites when a Sequential ring holds more unread records than slots', () => {
    const [c, ...rest] = new AlertEvaluator().evaluate(DEFAULT_ALERT_RULES, inputs({ ...block, lag: 11 }));
    expect(rest).toEqual([]);
    expect(c).toEqual({
      key: 'ringOverwrites:/dev/shm/lab.x',
      rule: 'ringOverwrites',
      subject: '/dev/shm/lab.x',
      channel: null,
      message: '/dev/shm/lab.x overwrote 3 records its Sequential consumers had not read',
    });
    const latestOnly = { ...block, syncPolicy: 'Latest_only', lag: null };
    expect(new AlertEvaluator().evaluate(DEFAULT_ALERT_RULES, inputs(latestOnly))).toEqual([]);
  });

  it('a disabled rule never raises', () => {
    const rules = { ...DEFAULT_ALERT_RULES, producerDead: { enabled: false } };
    const dead = { ...block, alive: false, liveness: 'dead (no usable heartbeat, pid 1 not running)' };
    expect(new AlertEvaluator().evaluate(rules, inputs(dead))).toEqual([]);
    expect(new AlertEvaluator().evaluate(DEFAULT_ALERT_RULES, inputs(dead)).map((c) => c.rule)).toEqual([
      'producerDead',
    ]);
  });

  it('a broker that is off is not unreachable; one that is down counts from when it went down', () => {
    const rules = { ...DEFAULT_ALERT_RULES, brokerUnreachable: { enabled: true, seconds: 5 } };
    const down: BrokerStatus = { ...BROKER_OFF, mode: 'remote', endpoint: 'tcp://h:1', connection: 'connecting' };
    const e = new AlertEvaluator();
    expect(e.evaluate(rules, { channels: [], datablocks: [], broker: BROKER_OFF }, 0)).toEqual([]);
    expect(e.evaluate(rules, { channels: [], datablocks: [], broker: down }, 1000)).toEqual([]);
    expect(e.evaluate(rules, { channels: [], datablocks: [], broker: down }, 6000).map((c) => c.message)).toEqual([
      'broker tcp://h:1 has not answered for 5 s',
    ]);
  });
});

describe('alert engine', () => {
  it('logs a failed evaluation once and keeps the alerts as they were, never throwing', async () => {
    const { AlertEngine } = await import('../../main/alerts/alert-engine.js');
    const log: string[] = [];
    const engine = new AlertEngine({ rulesFile: null, log: (l) => log.push(l) });
    const broken = { channels: [{ channel: 'x' }], datablocks: [], broker: BROKER_OFF } as never;
    expect(engine.update(broken)).toEqual({ active: [], history: [] });
    expect(engine.update(broken)).toEqual({ active: [], history: [] });
    expect(log).toHaveLength(1);
    expect(log[0]).toMatch(/^hubscope alerts: the rules could not be evaluated: /);
  });
});
