// `hubscope trace <endpoint>`: follows a broker's message trace live (TRACE_SUBSCRIBE,
// then one line per TRACE_EVENT) until SIGINT/SIGTERM. Metadata only: the broker never
// sends message bodies in its trace.
import type { TraceEntry } from '../protocol/trace.js';
import { chooseDiscoveryDir } from '../discovery/directory.js';
import { MessageHub } from '../hub/index.js';
import type { NotificationBody, RequestBody } from '../protocol/messages.js';
import { waitForStopSignal } from '../shared/stop-signal.js';
import { parseCliArgs, UsageError, type CliCommand } from './command.js';

const USAGE = `Usage: hubscope trace <endpoint> [--type TYPE]... [--channel NAME] [--recent N] [--json]
                      [--discovery-dir DIR]

Follows the message trace of the broker at <endpoint> live: one line per message it
receives or sends (direction, client, type, correlation id, channel, size, reply
latency, error code), never a message body. Runs until Ctrl-C. The broker allows
this only over an authenticated (CURVE) session; its key is read from its endpoint
file in the discovery directory.

  --type TYPE         Only this message type (repeatable); a request type also
                      matches its replies and ERRORs.
  --channel NAME      Only messages naming this channel.
  --recent N          First print up to N matching messages already recorded (default 0).
  --json              Print JSON lines (one trace entry each, with "dropped").
  --discovery-dir DIR Where to find the broker's endpoint file (default as for \`hubscope serve\`).`;

function time(ms: number): string {
  return new Date(ms).toISOString().slice(11, 23);
}

/** One trace entry as a line a person reads. */
export function formatTraceEntry(e: TraceEntry): string {
  const parts = [
    time(e.at),
    e.direction === 'in' ? '->' : '<-',
    (e.client ?? e.connection.slice(0, 12)).padEnd(16),
    e.type.padEnd(20),
    e.correlationId || '-',
  ];
  if (e.channel !== undefined) parts.push(`channel=${e.channel}`);
  parts.push(`${e.bytes}B`);
  if (e.latencyMs !== undefined) parts.push(`${e.latencyMs}ms`);
  if (e.errorCode !== undefined) parts.push(e.errorCode);
  return parts.join(' ');
}

export const traceCommand: CliCommand = {
  name: 'trace',
  summary: "Follow a broker's message trace live",
  usage: USAGE,
  async run(args) {
    const { values, positionals } = parseCliArgs({
      args,
      allowPositionals: true,
      options: {
        type: { type: 'string', multiple: true },
        channel: { type: 'string' },
        recent: { type: 'string', number: { min: 0, max: 1000, integer: true } },
        json: { type: 'boolean', default: false },
        'discovery-dir': { type: 'string' },
      },
    });
    const endpoint = positionals[0];
    if (endpoint === undefined || positionals.length > 1) throw new UsageError('give exactly one broker endpoint');
    if (!/^(tcp|ipc):\/\/.+/.test(endpoint)) {
      throw new UsageError(`${JSON.stringify(endpoint)} is not a broker endpoint like tcp://127.0.0.1:5570`);
    }
    const request: RequestBody<'TRACE_SUBSCRIBE'> = {
      ...(values.type !== undefined ? { types: values.type } : {}),
      ...(values.channel !== undefined ? { channel: values.channel } : {}),
      ...(values.recent !== undefined ? { recent: Number(values.recent) } : {}),
    };
    const print = (entry: TraceEntry, dropped: number) => {
      if (values.json) {
        process.stdout.write(JSON.stringify({ ...entry, dropped }) + '\n');
        return;
      }
      if (dropped > 0) process.stdout.write(`(${dropped} messages not shown: more than the broker sends per second)\n`);
      process.stdout.write(formatTraceEntry(entry) + '\n');
    };
    const stop = waitForStopSignal();
    const hub = new MessageHub({
      endpoint,
      clientName: 'hubscope trace',
      discoveryDir: chooseDiscoveryDir(values['discovery-dir']).dir,
    });
    try {
      hub.on('notification', (type, body) => {
        if (type !== 'TRACE_EVENT') return;
        const event = body as NotificationBody<'TRACE_EVENT'>;
        print(event.entry, event.dropped);
      });
      const first = await hub.request('TRACE_SUBSCRIBE', request);
      // A new session (reconnect, broker restart) starts without the subscription.
      hub.on('connected', () => {
        hub.request('TRACE_SUBSCRIBE', request).catch((err: unknown) => {
          console.error(`hubscope trace: ${(err as Error).message}`);
        });
      });
      for (const entry of first.recent) print(entry, 0);
      // On stderr, so that --json output stays pure JSON lines.
      console.error(
        `following the trace of ${endpoint} (the broker keeps ${first.capacity} messages, sends at most ${first.maxEventsPerSecond} per second); Ctrl-C stops`,
      );
      await stop.received;
      await hub.request('TRACE_UNSUBSCRIBE', {}, { timeoutMs: 1000 }).catch(() => undefined);
      return 0;
    } finally {
      stop.dispose();
      await hub.close().catch(() => undefined);
    }
  },
};
