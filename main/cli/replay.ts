// `hubscope replay file.mcap`: writes a recording back into DataBlocks (new segment
// names unless --same-names) at the recorded pace, then keeps them until Ctrl-C.
// Each replayed segment is announced like `hubscope demo`'s producers
// (main/producer/announce.ts): a descriptor file with the recorded schema and a
// broker registration, removed again when the replay stops.
import { SERVICE_OPTION_SPECS } from '../core/options.js';
import { announceTarget } from './announce-target.js';
import { announceProducers, type Announcement } from '../producer/announce.js';
import { openRecording } from '../record/recording-file.js';
import { startReplay } from '../record/replay.js';
import { waitForStopSignal } from '../shared/stop-signal.js';
import { parseCliArgs, UsageError, type CliCommand } from './command.js';

const USAGE = `Usage: hubscope replay file.mcap [--rate X] [--same-names | --suffix S] [--exit] [--broker WHERE] [--discovery-dir DIR | --no-discovery] [--json]

Writes the channels of a recording made by \`hubscope record\` back into
DataBlocks, with the recorded schema and ring capacity, in log-time order at the
recorded pace, so a recording can be watched in HubScope or fed to a consumer.
Each segment is announced as a channel of its own name (a descriptor file with
the recorded schema, and a broker registration), so HubScope decodes it at once.
The segments stay after the last record until Ctrl-C (or SIGTERM), which
removes them and their announcements.

  --rate X        Speed factor (default 1; 0 for as fast as possible).
  --suffix S      Segment name = recorded name + S (default ".replay").
  --same-names    Use the recorded segment names (they must not exist now).
  --exit          Remove the segments and exit when the replay ends.
  --broker WHERE  Broker to register with: an endpoint or "off". Default: $HUBSCOPE_BROKER,
                  else a live broker on this host announced in the discovery directory,
                  else tcp://127.0.0.1:5570 (the app's embedded broker).
  --discovery-dir DIR  Where to publish descriptors (default as for \`hubscope serve\`).
  --no-discovery  Publish no descriptor files.
  --json          Print the segments as one JSON line, and one when done.
  -h, --help      Show this help.`;

export const replayCommand: CliCommand = {
  name: 'replay',
  summary: 'Replay an MCAP recording into DataBlocks',
  usage: USAGE,
  async run(args) {
    const { values, positionals } = parseCliArgs({
      args,
      allowPositionals: true,
      options: {
        rate: { type: 'string', number: { min: 0, max: 1_000_000 } },
        suffix: { type: 'string' },
        'same-names': { type: 'boolean', default: false },
        exit: { type: 'boolean', default: false },
        json: { type: 'boolean', default: false },
        broker: SERVICE_OPTION_SPECS.broker,
        'discovery-dir': SERVICE_OPTION_SPECS['discovery-dir'],
        'no-discovery': SERVICE_OPTION_SPECS['no-discovery'],
      },
    });
    if (positionals.length !== 1) throw new UsageError('give exactly one recording (file.mcap)');
    if (values.suffix !== undefined && !/^[A-Za-z0-9._-]{1,64}$/.test(values.suffix)) {
      throw new UsageError(`--suffix may only contain letters, digits, ".", "_" and "-", not "${values.suffix}"`);
    }
    if (values.suffix !== undefined && values['same-names']) {
      throw new UsageError('--suffix and --same-names do not go together');
    }
    // Where to announce the segments: as `hubscope demo` chooses.
    const { discoveryDir, brokerEndpoint } = await announceTarget(values);
    const rateText = values.rate ?? '1';
    const rate = Number(rateText) === 0 ? Infinity : Number(rateText);
    const recording = await openRecording(positionals[0] ?? '');
    const stop = waitForStopSignal();
    const abort = new AbortController();
    let replay;
    try {
      replay = startReplay(recording, {
        rate,
        sameNames: values['same-names'],
        ...(values.suffix !== undefined ? { suffix: values.suffix } : {}),
        signal: abort.signal,
      });
    } catch (err) {
      stop.dispose();
      await recording.close();
      throw err;
    }
    const notes: string[] = [];
    let announcement: Announcement;
    try {
      announcement = await announceProducers(
        replay.segments.map((s) => ({
          channel: s.shmName,
          shmName: s.shmName,
          schema: s.schema,
          config: s.writer.config,
        })),
        {
          producerName: 'hubscope replay',
          discoveryDir,
          brokerEndpoint,
          onNote: (text) => (values.json ? notes.push(text) : console.log(text)),
        },
      );
    } catch (err) {
      abort.abort();
      replay.close();
      await recording.close();
      stop.dispose();
      throw err;
    }
    const segments = replay.segments.map((s) => ({ topic: s.topic, shmName: s.shmName }));
    if (values.json) console.log(JSON.stringify({ pid: process.pid, segments, notes }));
    else for (const s of segments) console.log(`replaying ${s.topic} into ${s.shmName}`);
    const finished = replay.done.then(
      () => null,
      (err: unknown) => err as Error,
    );
    const first = await Promise.race([finished.then((e) => ({ done: e })), stop.received.then((s) => ({ signal: s }))]);
    const written = () => replay.segments.map((s) => ({ shmName: s.shmName, written: s.written }));
    if ('done' in first) {
      if (first.done) console.error(`hubscope replay: ${first.done.message}`);
      if (values.json) console.log(JSON.stringify({ done: true, written: written() }));
      else
        console.log(
          `replay done (${written()
            .map((w) => `${w.shmName}: ${w.written}`)
            .join(', ')}); Ctrl-C removes the segments`,
        );
      if (values.exit) {
        await announcement.close();
        replay.close();
        await recording.close();
        stop.dispose();
        return first.done ? 1 : 0;
      }
    }
    const keepAlive = setInterval(() => undefined, 1 << 30);
    const signal = 'signal' in first ? first.signal : await stop.received;
    clearInterval(keepAlive);
    abort.abort();
    await finished;
    // Descriptors and the broker registration first: nobody should be sent to a segment being removed.
    await announcement.close();
    replay.close();
    await recording.close();
    stop.exitBy(signal);
    return 0;
  },
};
