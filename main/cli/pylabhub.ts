// `hubscope pylabhub ls`: the channels of a running pylabhub hub (plh_hub), through the
// same PylabhubMonitor the app uses, for one look (docs/pylabhub.md).
import { existsSync } from 'node:fs';
import { clientKeyPath, loadOrCreateKeyPair } from '../keys/index.js';
import { ALLOW_LIST_RESTART_NOTE } from '../pylabhub/allow-list-command.js';
import { PylabhubMonitor, type PylabhubChannel, type PylabhubSnapshot } from '../pylabhub/monitor.js';
import { parseCliArgs, UsageError, type CliCommand } from './command.js';

const USAGE = `Usage: hubscope pylabhub ls --endpoint tcp://host:port --hub-key FILE [--key FILE] [--json] [--timeout MS]

Lists the channels of a pylabhub hub (plh_hub) as a monitor sees them: name,
transport, producer (uid, name, pid), consumers, schema hash, rate from the hub's
metrics and liveness. HubScope registers nothing and takes no consumer seat.

  --endpoint E   The hub's broker endpoint (hub.json network.broker_endpoint,
                 default tcp://127.0.0.1:5570).
  --hub-key F    The hub's public key file (hub.pubkey in the hub's directory).
  --key F        HubScope's key file (default: this user's client key, made on
                 first use). Its public key must be on the hub's allow-list; when
                 the hub stays silent this command prints the plh_hub command
                 that adds it.
  --json         Print a JSON array, one object per channel, instead of a table.
  --timeout MS   How long to wait for each reply (default 2000).
  -h, --help     Show this help.`;

const ENDPOINT_RE = /^(tcp:\/\/[^\s/]+:\d{1,5}|ipc:\/\/\S+)$/;
/** Metrics change on each producer heartbeat (500 ms by default): a second look 1 s later gives a rate. */
/** Extra polls while the connection is neither made nor refused (each takes up to --timeout). */
const CONNECTING_RETRIES = 2;
const RATE_WINDOW_MS = 1000;

function rateText(r: number | null): string {
  if (r === null) return '-';
  return `${r >= 100 ? r.toFixed(0) : r.toFixed(1)}/s`;
}

function producerText(c: PylabhubChannel): string {
  if (!c.producer) return '-';
  const extra = [c.producer.name, c.producer.pid === null ? null : `pid ${c.producer.pid}`].filter(Boolean);
  const more = c.producerUids.length > 1 ? ` +${c.producerUids.length - 1}` : '';
  return `${c.producer.uid}${extra.length ? ` (${extra.join(', ')})` : ''}${more}`;
}

function consumersText(c: PylabhubChannel): string {
  const n = c.consumerCount ?? c.consumers.length;
  if (c.consumers.length === 0) return String(n);
  return `${n}: ${c.consumers.map((r) => r.uid + (r.pid === null ? '' : ` (pid ${r.pid})`)).join(', ')}`;
}

function table(channels: PylabhubChannel[]): string {
  const head = ['NAME', 'TRANSPORT', 'PRODUCER', 'CONSUMERS', 'SCHEMA', 'RATE', 'LIVENESS'];
  const rows = channels.map((c) => [
    c.name,
    c.transport === null ? '-' : c.shmKind ? `${c.transport} (${c.shmKind})` : c.transport,
    producerText(c),
    consumersText(c),
    c.schemaHash ? `${c.schemaId ? `${c.schemaId} ` : ''}${c.schemaHash.slice(0, 12)}` : (c.schemaId ?? '-'),
    rateText(c.slotsPerSec),
    c.observable ?? '-',
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (r: string[]): string => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i] ?? 0))).join('  ');
  return [line(head), ...rows.map(line)].join('\n');
}

/** Resolves HubScope's key file: the one given, or this user's client key (made if missing). */
function ownKeyFile(given: string | undefined): string {
  if (given !== undefined) return given;
  const path = clientKeyPath();
  if (existsSync(path)) {
    console.error(`hubscope pylabhub: no --key given; using HubScope's client key ${path}`);
  } else {
    loadOrCreateKeyPair(path);
    console.error(
      `hubscope pylabhub: no --key given; made HubScope's client key ${path} (its public key must be on the hub's allow-list)`,
    );
  }
  return path;
}

function reportFailure(snap: PylabhubSnapshot): number {
  const { status } = snap;
  console.error(`hubscope pylabhub: ${status.problem ?? `the hub at ${status.endpoint} is ${status.state}`}`);
  if (status.state === 'silent' && status.allowListCommand) {
    console.error(
      `\nHubScope's public key: ${status.ownPublicKey} (fingerprint ${status.ownKeyFingerprint})\n` +
        `If it is not on the hub's allow-list, the hub's admin runs:\n\n  ${status.allowListCommand}\n\n${ALLOW_LIST_RESTART_NOTE}`,
    );
  }
  return 1;
}

async function ls(args: string[]): Promise<number> {
  const { values } = parseCliArgs({
    args,
    options: {
      endpoint: { type: 'string' },
      'hub-key': { type: 'string' },
      key: { type: 'string' },
      json: { type: 'boolean', default: false },
      timeout: { type: 'string', number: { min: 50, max: 600_000, integer: true } },
    },
  });
  if (values.endpoint === undefined)
    throw new UsageError("--endpoint is required (the hub's broker endpoint, e.g. tcp://127.0.0.1:5570)");
  if (!ENDPOINT_RE.test(values.endpoint)) {
    throw new UsageError(`--endpoint must be tcp://host:port or ipc://path (got ${JSON.stringify(values.endpoint)})`);
  }
  if (values['hub-key'] === undefined) throw new UsageError("--hub-key is required (the hub's hub.pubkey file)");
  const timeoutMs = values.timeout === undefined ? 2000 : Number(values.timeout);
  const monitor = new PylabhubMonitor({
    endpoint: values.endpoint,
    hubKeyFile: values['hub-key'],
    keyFile: ownKeyFile(values.key),
    requestTimeoutMs: timeoutMs,
  });
  try {
    let snap = await monitor.refresh();
    // Not decided yet (no connection made or refused within the time-out): ask again,
    // a bounded number of times, before saying what the connection showed.
    for (let again = 0; again < CONNECTING_RETRIES && snap.status.state === 'connecting'; again++) {
      snap = await monitor.refresh();
    }
    if (snap.status.state !== 'reachable') return reportFailure(snap);
    if (snap.channels.some((c) => c.observable === 'live' && c.producer)) {
      await new Promise((r) => setTimeout(r, RATE_WINDOW_MS));
      snap = await monitor.refresh();
      if (snap.status.state !== 'reachable') return reportFailure(snap);
    }
    for (const d of snap.status.differences.slice(0, 5)) {
      console.error(`hubscope pylabhub: note: the hub differs from the documented protocol: ${d}`);
    }
    if (values.json) {
      console.log(JSON.stringify(snap.channels, null, 2));
      return 0;
    }
    const { status } = snap;
    console.log(
      `pylabhub hub ${status.endpoint} (key ${status.hubKeyFingerprint}): reachable, round trip ${status.rttMs ?? '-'} ms, ${snap.channels.length} channel(s)`,
    );
    if (snap.channels.length > 0) console.log(table(snap.channels));
    return 0;
  } finally {
    await monitor.close();
  }
}

export const pylabhubCommand: CliCommand = {
  name: 'pylabhub',
  summary: 'List the channels of a pylabhub hub (plh_hub) as a monitor',
  usage: USAGE,
  async run(args) {
    const [sub, ...rest] = args;
    if (sub === 'ls') return ls(rest);
    throw new UsageError(
      sub === undefined ? 'a subcommand is required: ls' : `unknown subcommand "${sub}" (known: ls)`,
    );
  },
};
