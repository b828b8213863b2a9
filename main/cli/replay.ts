// `hubscope replay file.mcap`: writes a recording back into DataBlocks (new segment
// names unless --same-names) at the recorded pace, then keeps them until Ctrl-C.
import { openRecording } from '../record/recording-file.js';
import { startReplay } from '../record/replay.js';
import { waitForStopSignal } from '../shared/stop-signal.js';
import { parseCliArgs, UsageError, type CliCommand } from './command.js';

const USAGE = `Usage: hubscope replay file.mcap [--rate X] [--same-names | --suffix S] [--exit] [--json]

Writes the channels of a recording made by \`hubscope record\` back into
DataBlocks, with the recorded schema and ring capacity, in log-time order at the
recorded pace, so a recording can be watched in HubScope or fed to a consumer.
The segments stay after the last record until Ctrl-C (or SIGTERM), which
removes them.

  --rate X        Speed factor (default 1; 0 for as fast as possible).
  --suffix S      Segment name = recorded name + S (default ".replay").
  --same-names    Use the recorded segment names (they must not exist now).
  --exit          Remove the segments and exit when the replay ends.
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
      },
    });
    if (positionals.length !== 1) throw new UsageError('give exactly one recording (file.mcap)');
    if (values.suffix !== undefined && !/^[A-Za-z0-9._-]{1,64}$/.test(values.suffix)) {
      throw new UsageError(`--suffix may only contain letters, digits, ".", "_" and "-", not "${values.suffix}"`);
    }
    if (values.suffix !== undefined && values['same-names']) {
      throw new UsageError('--suffix and --same-names do not go together');
    }
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
    const segments = replay.segments.map((s) => ({ topic: s.topic, shmName: s.shmName }));
    if (values.json) console.log(JSON.stringify({ pid: process.pid, segments }));
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
    replay.close();
    await recording.close();
    stop.exitBy(signal);
    return 0;
  },
};
