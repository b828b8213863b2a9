// `hubscope demo`: runs realistic lab producers into DataBlocks until Ctrl-C.
import {
  DEFAULT_RATES,
  DEMO_CHANNELS,
  DEMO_PROFILES,
  HEAVY_SENSOR_HZ,
  HEAVY_SENSORS,
  HEAVY_SPECTRUM_HZ,
  startDemoProducers,
  type DemoChannel,
  type DemoProfile,
} from '../datablock/demo.js';
import { SERVICE_OPTION_SPECS } from '../core/options.js';
import { announceTarget } from './announce-target.js';
import { announceProducers } from '../producer/announce.js';
import { parseCliArgs, UsageError, type CliCommand, type NumberRule } from './command.js';
import { waitForStopSignal } from '../shared/stop-signal.js';

const USAGE = `Usage: hubscope demo [--profile standard|heavy] [--only a,b] [--waveform-hz N] [--counter-hz N] [--camera-fps N] [--temperature-hz N] [--suffix S] [--json]

Starts demo producers that write live DataBlocks (POSIX shm) with schema files
from demo/schemas/, so HubScope has something to show at once:
  lab.demo.waveform     8 channels of sine + noise, float32, ${DEFAULT_RATES.waveform} records/s
  lab.demo.counter      a counter and timestamp, ${DEFAULT_RATES.counter} records/s, BLAKE2b checksums
  lab.demo.camera       1024x1024 uint16 frames at ${DEFAULT_RATES.camera} fps, geometry in the flexible zone
  lab.demo.temperature  4 probes at ${DEFAULT_RATES.temperature} Hz, calibration in the flexible zone
Each channel is announced: a descriptor file in the discovery directory and a
registration with the MessageHub broker (the app's embedded one by default),
retried in the background while the broker is unreachable.
Ctrl-C (or SIGTERM) stops them and removes every segment and file they made.

  --profile P         standard (the default: the channels above) or heavy: also
                      lab.heavy.spectrum (1024 float32 samples per record, ${HEAVY_SPECTRUM_HZ} records/s)
                      and ${HEAVY_SENSORS} small sensor channels at ${HEAVY_SENSOR_HZ} Hz, for load tests.
  --only LIST         Comma-separated subset: ${DEMO_CHANNELS.join(',')}.
  --waveform-hz N     Waveform records per second.
  --counter-hz N      Counter records per second.
  --camera-fps N      Camera frames per second.
  --temperature-hz N  Temperature records per second.
  --suffix S          Append S to every segment name (run two demos side by side).
  --broker WHERE      Broker to register with: an endpoint or "off". Default: $HUBSCOPE_BROKER,
                      else a live broker on this host announced in the discovery directory,
                      else tcp://127.0.0.1:5570 (the app's embedded broker).
  --discovery-dir DIR Where to publish descriptors (default as for \`hubscope serve\`).
  --no-discovery      Publish no descriptor files.
  --json              Print the started producers as one JSON line.
  -h, --help          Show this help.`;

/** Records per second: a rate option's accepted range. */
const RATE: NumberRule = { min: 0.001, max: 100_000 };

export const demoCommand: CliCommand = {
  name: 'demo',
  summary: 'Run demo producers that write live DataBlocks',
  usage: USAGE,
  async run(args) {
    const { values } = parseCliArgs({
      args,
      options: {
        profile: { type: 'string' },
        only: { type: 'string' },
        'waveform-hz': { type: 'string', number: RATE },
        'counter-hz': { type: 'string', number: RATE },
        'camera-fps': { type: 'string', number: RATE },
        'temperature-hz': { type: 'string', number: RATE },
        suffix: { type: 'string' },
        json: { type: 'boolean', default: false },
        broker: SERVICE_OPTION_SPECS.broker,
        'discovery-dir': SERVICE_OPTION_SPECS['discovery-dir'],
        'no-discovery': SERVICE_OPTION_SPECS['no-discovery'],
      },
    });
    let channels: DemoChannel[] = [...DEMO_CHANNELS];
    if (values.only !== undefined) {
      channels = values.only.split(',').map((c) => c.trim()) as DemoChannel[];
      const bad = channels.find((c) => !DEMO_CHANNELS.includes(c));
      if (bad !== undefined || channels.length === 0) {
        throw new UsageError(`--only: unknown channel "${bad ?? ''}" (choose from ${DEMO_CHANNELS.join(', ')})`);
      }
    }
    if (values.suffix !== undefined && !/^[A-Za-z0-9._-]{1,64}$/.test(values.suffix)) {
      throw new UsageError(`--suffix may only contain letters, digits, ".", "_" and "-", not "${values.suffix}"`);
    }
    const profile = (values.profile ?? 'standard') as DemoProfile;
    if (!DEMO_PROFILES.includes(profile)) {
      throw new UsageError(`--profile must be one of ${DEMO_PROFILES.join(', ')}, not "${values.profile}"`);
    }
    const rates: Partial<Record<DemoChannel, number>> = {};
    const set = (c: DemoChannel, v: number | undefined): void => {
      if (v !== undefined) rates[c] = v;
    };
    // parseCliArgs checked the numbers (RATE).
    const rate = (text: string | undefined) => (text === undefined ? undefined : Number(text));
    set('waveform', rate(values['waveform-hz']));
    set('counter', rate(values['counter-hz']));
    set('camera', rate(values['camera-fps']));
    set('temperature', rate(values['temperature-hz']));

    // The demo registers with a broker; "embedded" (the app's default) means the app's usual endpoint here.
    const { discoveryDir, brokerEndpoint } = await announceTarget(values);
    // Listening from here on: a Ctrl-C during startup still stops the demo tidily once it is up.
    const stop = waitForStopSignal();
    const run = await startDemoProducers({
      channels,
      rates,
      profile,
      ...(values.suffix ? { nameSuffix: values.suffix } : {}),
    }).catch((err: unknown) => {
      stop.dispose();
      throw err;
    });
    const notes: string[] = [];
    const announcement = await announceProducers(run.producers, {
      producerName: 'hubscope demo',
      discoveryDir,
      brokerEndpoint,
      onNote: (text) => (values.json ? notes.push(text) : console.log(text)),
    });
    if (values.json) {
      console.log(
        JSON.stringify({
          pid: process.pid,
          producers: run.producers.map((p) => ({
            channel: p.channel,
            shmName: p.shmName,
            schemaPath: p.schemaPath,
            rate: p.rate,
          })),
          notes,
        }),
      );
    } else {
      for (const p of run.producers)
        console.log(`writing ${p.shmName.padEnd(28)} ${p.rate} records/s   schema ${p.schemaPath}`);
      console.log(
        'Press Ctrl-C to stop and remove the segments. Try `hubscope ls` or `hubscope inspect lab.demo.counter`.',
      );
    }
    // Leave tidily (broker deregistration, descriptor files, segments), then die
    // by the same signal so a shell or supervisor sees how the demo ended. (On the
    // signal the DataBlock cleanup registry has already unlinked the segments.)
    const keepAlive = setInterval(() => undefined, 1 << 30);
    const signal = await stop.received;
    clearInterval(keepAlive);
    await announcement.close();
    await run.stop();
    stop.exitBy(signal);
    return 0;
  },
};
