// Messages that help: where `find` looked and which names are close, numeric
// options that reject negative and non-numeric values in words, and a broker
// whose endpoint is taken naming what holds it. Real broker, files and processes.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startBroker, type Broker } from '../../main/broker/index.js';
import { closeNames, didYouMean, editDistance } from '../../main/cli/close-names.js';
import { checkNumber, parseCliArgs, UsageError } from '../../main/cli/command.js';
import { sameLocalEndpoint } from '../../main/cli/endpoint-holder.js';
import { publishDescriptor, type DescriptorHandle } from '../../main/discovery/publish.js';
import { MessageHub } from '../../main/hub/index.js';
import { CLI, ROOT, stopProcess } from '../support/processes.js';
import { SMALL_RING } from '../support/spec-fixtures.js';
import { sampleInput } from './discovery-helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'hubscope-messages-'));
const cleanups: Array<() => Promise<unknown>> = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
  rmSync(dir, { recursive: true, force: true });
});

/** The CLI from source, asynchronously (a broker under test may live in this process). */
function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const argv = ['--import', 'tsx', 'test/support/cli-from-source.ts', ...args];
  return new Promise((resolve) => {
    execFile(process.execPath, argv, { cwd: ROOT, encoding: 'utf8', timeout: 30_000 }, (err, stdout, stderr) =>
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stdout, stderr }),
    );
  });
}

describe('did you mean', () => {
  it('measures edit distance and picks only close names', () => {
    expect(editDistance('lab.demo.countr', 'lab.demo.counter')).toBe(1);
    expect(editDistance('', 'abc')).toBe(3);
    expect(editDistance('kitten', 'sitting')).toBe(3);
    const known = ['lab.demo.counter', 'lab.demo.camera', 'lab.demo.waveform', 'lab.demo.counter'];
    expect(closeNames('lab.demo.countr', known)).toEqual(['lab.demo.counter']);
    expect(closeNames('something.else', known)).toEqual([]);
    expect(didYouMean('lab.demo.countr', known)).toBe('; did you mean lab.demo.counter?');
    expect(didYouMean('ab', ['ac', 'ad'])).toBe('; did you mean ac or ad?');
  });
});

describe('hubscope find when the channel is nowhere', () => {
  it('names the broker endpoint it asked and suggests close names from the broker and the files', async () => {
    const broker: Broker = await startBroker({ endpoint: 'tcp://127.0.0.1:0' });
    cleanups.push(() => broker.close());
    const hub = new MessageHub({ endpoint: broker.endpoint });
    cleanups.push(() => hub.close());
    const onBroker = `lab.msg.counter${process.pid}`;
    const inFiles = `lab.msg.heater${process.pid}`;
    const producer = await hub.registerProducer({
      channel: onBroker,
      shmName: `/${onBroker}`,
      config: SMALL_RING,
      producerName: 'messages-test',
    });
    cleanups.push(() => producer.close());
    const descriptor: DescriptorHandle = publishDescriptor(dir, sampleInput(inFiles));
    cleanups.push(() => descriptor.remove());

    const typo = onBroker.replace('counter', 'countr');
    const viaBroker = await cli('find', typo, '--broker', broker.endpoint, '--discovery-dir', dir);
    expect(viaBroker.code).toBe(1);
    expect(viaBroker.stderr).toContain(
      `channel "${typo}" not found: the broker at ${broker.endpoint} does not know it, and no descriptor file for it in ${dir}`,
    );
    expect(viaBroker.stderr).toContain(`did you mean ${onBroker}?`);

    const fileTypo = inFiles.replace('heater', 'heatr');
    const viaFiles = await cli('find', fileTypo, '--broker', 'off', '--discovery-dir', dir);
    expect(viaFiles.code).toBe(1);
    expect(viaFiles.stderr).toContain(`did you mean ${inFiles}?`);

    const farOff = await cli('find', 'lab.nothing.like.it', '--broker', 'off', '--discovery-dir', dir, '--json');
    expect(farOff.code).toBe(1);
    expect((JSON.parse(farOff.stdout) as { note: string }).note).not.toContain('did you mean');
  });
});

describe('numeric options', () => {
  it('parseCliArgs takes a negative value as the value, and checks declared numbers in words', () => {
    const options = { records: { type: 'string', number: { min: 1, max: 1000, integer: true } } } as const;
    expect(parseCliArgs({ args: ['--records', '7'], options }).values.records).toBe('7');
    for (const bad of ['-3', 'abc', '0', '2.5', '1e3', '1001']) {
      expect(() => parseCliArgs({ args: ['--records', bad], options })).toThrow(
        new UsageError(`--records must be a positive integer up to 1000 (got "${bad}")`),
      );
    }
    // A string option that is not declared numeric still gets "-3" as its value.
    expect(parseCliArgs({ args: ['--at', '-3'], options: { at: { type: 'string' } } }).values.at).toBe('-3');
    expect(checkNumber('--rate', '0.5', { min: 0.001, max: 10 })).toBe(0.5);
    expect(() => checkNumber('--rate', '-0.5', { min: 0.001, max: 10 })).toThrow(
      '--rate must be a number from 0.001 to 10 (got "-0.5")',
    );
  });

  it('every command says what a number must be instead of "ambiguous"', async () => {
    const cases: Array<[string[], string]> = [
      [['inspect', 'x', '--records', '-3'], '--records'],
      [
        ['find', 'x', '--timeout', '-3', '--broker', 'off'],
        '--timeout must be a whole number from 0 to 600000 (got "-3")',
      ],
      [['demo', '--counter-hz', '-3'], '--counter-hz must be a number from 0.001 to 100000 (got "-3")'],
      [['demo', '--camera-fps', 'fast'], '--camera-fps must be a number from 0.001 to 100000 (got "fast")'],
      [['serve', '--port', '-3'], '--port'],
      [['serve', '--discovery-poll', '-3'], '--discovery-poll'],
      [['broker', '--heartbeat-ms', '-3'], '--heartbeat-ms "-3"'],
    ];
    for (const [args, wanted] of cases) {
      const r = await cli(...args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr).toContain(wanted);
      expect(r.stderr).not.toContain('ambiguous');
    }
  });
});

describe('hubscope broker on a taken endpoint', () => {
  it('matches endpoints as a bind would', () => {
    expect(sameLocalEndpoint('tcp://127.0.0.1:5570', 'tcp://localhost:5570')).toBe(true);
    expect(sameLocalEndpoint('tcp://0.0.0.0:5570', 'tcp://127.0.0.1:5570')).toBe(true);
    expect(sameLocalEndpoint('tcp://127.0.0.1:5570', 'tcp://127.0.0.1:5571')).toBe(false);
    expect(sameLocalEndpoint('ipc:///tmp/a', 'ipc:///tmp/a')).toBe(true);
  });

  it('names the HubScope broker that holds it, from its endpoint file', async () => {
    const brokerDir = mkdtempSync(join(dir, 'brokers-'));
    const first: ChildProcess = spawn(
      process.execPath,
      [CLI, 'broker', '--endpoint', 'tcp://127.0.0.1:0', '--discovery-dir', brokerDir],
      { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    cleanups.push(() => stopProcess(first));
    const endpoint = await new Promise<string>((resolve, reject) => {
      let out = '';
      first.stdout?.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        const m = out.match(/^(tcp:\/\/\S+)\n/);
        if (m?.[1]) resolve(m[1]);
      });
      first.once('exit', (code) => reject(new Error(`first broker exited with ${code}`)));
    });
    // Its endpoint file is written right after the endpoint line: wait for it.
    while (!readdirSync(brokerDir).some((f) => f.startsWith('broker.'))) await new Promise((r) => setTimeout(r, 20));

    const second = await cli('broker', '--endpoint', endpoint, '--discovery-dir', brokerDir);
    expect(second.code).toBe(1);
    expect(second.stderr).toMatch(
      new RegExp(
        `${endpoint} is in use by the HubScope broker pid ${first.pid} .*started at \\S+; stop it or use --endpoint`,
      ),
    );
  });

  it('says another program holds it when no endpoint file names it', async () => {
    const server: Server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => new Promise((resolve) => server.close(resolve)));
    const address = server.address();
    if (address === null || typeof address === 'string') throw new Error('no port');
    const endpoint = `tcp://127.0.0.1:${address.port}`;
    const r = await cli('broker', '--endpoint', endpoint, '--discovery-dir', mkdtempSync(join(dir, 'empty-')));
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`${endpoint} is in use by another program`);
  });
});
