// `hubscope record <channel…> -o file.mcap`: records DataBlock channels into MCAP
// (JSON messages with a JSON Schema, readable by Foxglove/Lichtblick and
// PlotJuggler) until --duration ends or Ctrl-C.
import { lookUpSchema } from '../core/schema-lookup.js';
import { loadSchemaFile } from '../datablock/schema-file.js';
import type { ChannelSchema } from '../datablock/schema.js';
import { chooseDiscoveryDir } from '../discovery/directory.js';
import { scanDiscoveryDir } from '../discovery/scan.js';
import { MAX_PRE_BUFFER_S, Recorder, type RecordSource, type RecordingSummary } from '../record/recorder.js';
import { waitForStopSignal } from '../shared/stop-signal.js';
import { parseCliArgs, UsageError, type CliCommand } from './command.js';

const USAGE = `Usage: hubscope record <channel...> -o file.mcap [--duration S] [--pre-buffer S] [--split-size MB] [--schema FILE] [--json]

Records every committed record of the named DataBlock channels (segment names,
as \`hubscope ls\` shows them) into an MCAP file: one MCAP channel per segment,
the schema as JSON Schema, each record one JSON message (docs/recording.md).
Reading is passive: the producers cannot tell they are recorded. Records the
producer overwrote before HubScope could copy them are counted in the file's
metadata ("hubscope.recording", lost.<channel>).

  -o, --output FILE    The MCAP file to write (never overwritten).
  --duration S         Stop after S seconds (default: at Ctrl-C).
  --pre-buffer S       Also record what the rings still hold from the last S seconds.
  --split-size MB      Start a new file at this size: FILE-0001.mcap, FILE-0002.mcap, ...
  --schema FILE        Schema for channels whose discovery descriptor has none.
  --discovery-dir DIR  Where to find the channels' descriptors and schemas
                       (default as for \`hubscope serve\`).
  --no-discovery       Do not look in the discovery directory (then --schema is needed).
  --json               Print the summary as one JSON line.
  -h, --help           Show this help.`;

/** How often the rings are read: well inside a ring's lifetime at the demo's rates. */
const POLL_MS = 20;

async function schemasFor(
  names: string[],
  schemaPath: string | undefined,
  discoveryDir: string | null,
): Promise<RecordSource[]> {
  const given = schemaPath ? await loadSchemaFile(schemaPath) : undefined;
  const scan = discoveryDir !== null ? await scanDiscoveryDir(discoveryDir) : null;
  const sources: RecordSource[] = [];
  for (const name of names) {
    let schema: ChannelSchema | undefined;
    if (scan) {
      const found = await lookUpSchema(name, undefined, {
        files: scan.entries,
        brokerChannels: undefined,
        hub: undefined,
        schemaDirs: [],
      });
      schema = found?.schema;
    }
    schema ??= given;
    if (!schema) {
      throw new UsageError(`no schema for ${name}: its discovery descriptor carries none; give one with --schema`);
    }
    sources.push({ shmName: name.replace(/^\//, ''), schema });
  }
  return sources;
}

function printSummary(summary: RecordingSummary, json: boolean): void {
  if (json) {
    console.log(JSON.stringify(summary));
    return;
  }
  for (const c of summary.channels) {
    const stopped = c.stoppedBy ? ` (stopped early: ${c.stoppedBy})` : '';
    const before = c.preBuffered > 0 ? ` (${c.preBuffered} from before the start)` : '';
    console.log(`${c.topic.padEnd(28)} ${c.recorded} records${before}, ${c.lost} lost to overwrite${stopped}`);
  }
  console.log(`wrote ${summary.files.join(', ')}`);
}

export const recordCommand: CliCommand = {
  name: 'record',
  summary: 'Record DataBlock channels into an MCAP file',
  usage: USAGE,
  async run(args) {
    const { values, positionals } = parseCliArgs({
      args,
      allowPositionals: true,
      options: {
        output: { type: 'string', short: 'o' },
        duration: { type: 'string', number: { min: 0.001, max: 366 * 86400 } },
        'pre-buffer': { type: 'string', number: { min: 0, max: MAX_PRE_BUFFER_S } },
        'split-size': { type: 'string', number: { min: 0.01, max: 1_000_000 } },
        schema: { type: 'string' },
        'discovery-dir': { type: 'string' },
        'no-discovery': { type: 'boolean', default: false },
        json: { type: 'boolean', default: false },
      },
    });
    if (positionals.length === 0) throw new UsageError('name at least one channel (segment name) to record');
    if (values.output === undefined) throw new UsageError('give the file to write with -o file.mcap');
    const discoveryDir = values['no-discovery'] ? null : chooseDiscoveryDir(values['discovery-dir']).dir;
    const sources = await schemasFor(positionals, values.schema, discoveryDir);
    const stop = waitForStopSignal();
    let recorder: Recorder;
    try {
      recorder = await Recorder.start(sources, {
        outPath: values.output,
        splitBytes: values['split-size'] !== undefined ? Math.round(Number(values['split-size']) * 1e6) : null,
        preBufferS: values['pre-buffer'] !== undefined ? Number(values['pre-buffer']) : 0,
      });
    } catch (err) {
      stop.dispose();
      throw err;
    }
    if (!values.json) console.log(`recording ${sources.map((s) => s.shmName).join(', ')}; Ctrl-C stops`);
    const durationMs = values.duration !== undefined ? Number(values.duration) * 1000 : null;
    const ended = new Promise<NodeJS.Signals | null>((resolve) => {
      void stop.received.then(resolve);
      if (durationMs !== null) setTimeout(() => resolve(null), durationMs).unref();
    });
    let signal: NodeJS.Signals | null | undefined;
    void ended.then((s) => (signal = s));
    // One poll at a time: McapWriter calls must not overlap.
    while (signal === undefined) {
      await recorder.poll();
      await new Promise((r) => setTimeout(r, POLL_MS));
    }
    const summary = await recorder.stop();
    printSummary(summary, values.json);
    if (signal !== null) {
      stop.exitBy(signal);
      return 0;
    }
    stop.dispose();
    return 0;
  },
};
