// `hubscope find <channel>`: where a channel is, the way a consumer would look it
// up: the MessageHub broker first, the discovery files when the broker cannot
// answer, and which of the two answered, in words.
import { DEFAULT_BROKER_ENDPOINT } from '../core/options.js';
import { checkSegment } from '../core/segment-check.js';
import { chooseDiscoveryDir } from '../discovery/directory.js';
import { localHost } from '../discovery/host.js';
import { resolveChannel } from '../discovery/resolve.js';
import { scanDiscoveryDir } from '../discovery/scan.js';
import { isHubError, MessageHub } from '../hub/index.js';
import { brokerFromDiscovery } from '../producer/find-broker.js';
import { didYouMean } from './close-names.js';
import { parseCliArgs, UsageError, type CliCommand } from './command.js';

const USAGE = `Usage: hubscope find <channel> [--broker ENDPOINT|off] [--discovery-dir DIR] [--timeout MS] [--json]

Looks a channel up as a consumer would: asks the MessageHub broker, and when the
broker is unreachable (or does not know the channel) reads the discovery files.
Says which one answered. When the producer runs on this host, also looks at its
segment: liveness, records written and the rate now, and why nothing may be
arriving (a full Sequential ring, a producer that stopped committing).
Exits 1 when the channel is found nowhere.

  --broker E          Broker endpoint, or "off" (default: $HUBSCOPE_BROKER, else a live
                      broker announced in the discovery directory, else ${DEFAULT_BROKER_ENDPOINT}).
  --discovery-dir DIR Discovery directory (default as for \`hubscope serve\`).
  --timeout MS        How long the broker may wait for a pending channel (default 2000).
  --json              Print one JSON object.`;

function codeOf(err: unknown): unknown {
  return (err as { code?: unknown } | undefined)?.code;
}

/** Every channel name the broker (when it answers) and the discovery files know, for "did you mean". */
async function knownChannels(hub: MessageHub | undefined, dir: string): Promise<string[]> {
  const [fromBroker, fromFiles] = await Promise.all([
    hub
      ? hub.listChannels().then(
          (list) => list.map((c) => c.name),
          () => [],
        )
      : [],
    scanDiscoveryDir(dir).then(
      (scan) => scan.entries.map((e) => e.channel),
      () => [],
    ),
  ]);
  return [...fromBroker, ...fromFiles];
}

export const findCommand: CliCommand = {
  name: 'find',
  summary: 'Find a channel through the broker, or the discovery files when it is down',
  usage: USAGE,
  async run(args) {
    const { values, positionals } = parseCliArgs({
      args,
      allowPositionals: true,
      options: {
        broker: { type: 'string' },
        'discovery-dir': { type: 'string' },
        timeout: { type: 'string', number: { min: 0, max: 600_000, integer: true } },
        json: { type: 'boolean', default: false },
      },
    });
    const channel = positionals[0];
    if (channel === undefined || positionals.length > 1) throw new UsageError('give exactly one channel name');
    const timeoutMs = values.timeout === undefined ? 2000 : Number(values.timeout);
    const dir = chooseDiscoveryDir(values['discovery-dir']).dir;
    const brokerWord = values.broker ?? process.env.HUBSCOPE_BROKER;
    const endpoint =
      brokerWord === 'off' ? null : (brokerWord ?? (await brokerFromDiscovery(dir)) ?? DEFAULT_BROKER_ENDPOINT);
    const hub = endpoint
      ? new MessageHub({ endpoint, connectTimeoutMs: 1000, clientName: 'hubscope find' })
      : undefined;
    try {
      const found = await resolveChannel(channel, { ...(hub ? { hub } : {}), dir, timeoutMs });
      const where =
        found.via === 'broker'
          ? { shmName: found.info.shmName ?? null, state: found.info.state, producer: found.info.producer ?? null }
          : {
              shmName: found.entry.descriptor.shmName,
              state: found.entry.status,
              producer: { host: found.entry.descriptor.host, pid: found.entry.descriptor.pid },
            };
      // The producer runs here: look at its segment too, as the Channels view would.
      const local = where.producer?.host === localHost() && where.shmName ? await checkSegment(where.shmName) : null;
      if (values.json) {
        console.log(
          JSON.stringify({ channel, via: found.via, note: found.note, ...where, segment: local?.notes ?? null }),
        );
      } else {
        console.log(`${channel}: segment ${where.shmName ?? '(none)'}, ${where.state}`);
        console.log(`  ${found.note}`);
        for (const line of local?.notes ?? []) console.log(`  ${line}`);
      }
      return 0;
    } catch (err) {
      let message = (err as Error).message;
      if (codeOf(err) === 'NOT_FOUND') {
        // The broker's own "not known" names its host name, not the endpoint it was
        // asked at: say both places that were looked in.
        if (isHubError(err, 'NOT_FOUND')) {
          message = `channel "${channel}" not found: the broker at ${endpoint} does not know it, and no descriptor file for it in ${dir}`;
        }
        message += didYouMean(channel, await knownChannels(hub, dir));
      }
      if (values.json) console.log(JSON.stringify({ channel, via: null, note: message }));
      else console.error(`hubscope find: ${message}`);
      return 1;
    } finally {
      await hub?.close().catch(() => undefined);
    }
  },
};
