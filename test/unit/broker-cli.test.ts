// `hubscope broker` option parsing (the running command is exercised as a real
// process in broker-processes.test.ts).
import { describe, expect, it } from 'vitest';
import { brokerCommand, parseBrokerArgs } from '../../main/cli/broker.js';
import { UsageError } from '../../main/cli/command.js';

describe('hubscope broker options', () => {
  it('parses every option, in both --flag value and --flag=value forms', () => {
    expect(
      parseBrokerArgs([
        '--endpoint',
        'tcp://127.0.0.1:5570',
        '--state-file=/tmp/s.json',
        '--log-level',
        'debug',
        '--json',
        '--heartbeat-ms=250',
        '--discovery-dir',
        '/tmp/d',
      ]),
    ).toEqual({
      endpoint: 'tcp://127.0.0.1:5570',
      stateFile: '/tmp/s.json',
      logLevel: 'debug',
      json: true,
      heartbeatMs: 250,
      discoveryDir: '/tmp/d',
      discovery: true,
      open: false,
      allowFile: undefined,
      keyFile: undefined,
      trace: false,
      metricsPort: undefined,
      metricsHost: '127.0.0.1',
    });
    expect(parseBrokerArgs(['--no-discovery']).discovery).toBe(false);
    expect(parseBrokerArgs(['--open']).open).toBe(true);
    expect(parseBrokerArgs(['--allow=/tmp/allowed', '--key', '/tmp/b.key'])).toMatchObject({
      allowFile: '/tmp/allowed',
      keyFile: '/tmp/b.key',
      open: false,
    });
    expect(parseBrokerArgs([])).toEqual({
      endpoint: undefined,
      stateFile: undefined,
      logLevel: 'info',
      json: false,
      heartbeatMs: undefined,
      discoveryDir: undefined,
      discovery: true,
      open: false,
      allowFile: undefined,
      keyFile: undefined,
      trace: false,
      metricsPort: undefined,
      metricsHost: '127.0.0.1',
    });
  });

  it('names the bad option in its error', () => {
    const cases: Array<[string[], RegExp]> = [
      [['--endpoint', 'localhost:5570'], /--endpoint "localhost:5570"/],
      [['--log-level', 'loud'], /--log-level "loud"/],
      [['--heartbeat-ms', '5'], /--heartbeat-ms "5"/],
      [['--state-file'], /--state-file needs a value/],
      [['--frobnicate'], /unknown option "--frobnicate"/],
      [['--open', '--allow', '/tmp/a'], /--open turns CURVE off/],
      [['--allow'], /--allow needs a value/],
    ];
    for (const [args, re] of cases) {
      expect(() => parseBrokerArgs(args)).toThrow(UsageError);
      expect(() => parseBrokerArgs(args)).toThrow(re);
    }
  });

  it('documents its options in --help', () => {
    for (const flag of [
      '--endpoint',
      '--state-file',
      '--log-level',
      '--json',
      '--heartbeat-ms',
      '--discovery-dir',
      '--no-discovery',
      '--allow',
      '--key',
      '--trace',
      '--metrics-port',
      '--metrics-host',
      '--open',
    ])
      expect(brokerCommand.usage).toContain(flag);
    expect(brokerCommand.name).toBe('broker');
  });
});
