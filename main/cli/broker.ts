// `hubscope broker`: the MessageHub broker as a standalone process on any workstation.
// Prints the bound endpoint on stdout (one line), logs to stderr (JSON lines with
// --json), stops gracefully on SIGINT/SIGTERM after telling every client.
import { startBroker, type Broker } from '../broker/broker.js';
import { createLogger, isLogLevel, LOG_LEVELS, type LogLevel } from '../broker/logger.js';
import { DEFAULT_BROKER_ENDPOINT } from '../core/options.js';
import { chooseDiscoveryDir, ensureDiscoveryDir } from '../discovery/directory.js';
import { publishBrokerEndpoint } from '../discovery/publish.js';
import { VERSION } from '../version.js';
import { UsageError, type CliCommand } from './command.js';
import { endpointInUseMessage } from './endpoint-holder.js';
import { waitForStopSignal, type StopSignal } from '../shared/stop-signal.js';

export interface BrokerCliHooks {
  /** Called once the broker is bound (e.g. the app publishes an endpoint file for discovery). */
  onListening?: (info: { endpoint: string; bootId: string }) => void | Promise<void>;
  /** Called after the broker stopped (e.g. remove that file). */
  onClosed?: () => void | Promise<void>;
}

export interface BrokerCliOptions {
  endpoint: string | undefined;
  stateFile: string | undefined;
  logLevel: LogLevel;
  json: boolean;
  heartbeatMs: number | undefined;
  /** Where the endpoint file goes; undefined: the default discovery directory. */
  discoveryDir: string | undefined;
  /** false with --no-discovery: publish no endpoint file. */
  discovery: boolean;
}

const USAGE = `Usage: hubscope broker [--endpoint tcp://127.0.0.1:5570] [--state-file path]
                       [--log-level ${LOG_LEVELS.join('|')}] [--json] [--heartbeat-ms N]
                       [--discovery-dir DIR | --no-discovery]

Runs the MessageHub broker (protocol v1, docs/protocol.md) until SIGINT/SIGTERM.

  --endpoint URL      ZeroMQ endpoint to bind (tcp://host:port or ipc://path).
                      Default ${DEFAULT_BROKER_ENDPOINT}, where the app and \`hubscope demo\`
                      look first; port 0 picks a free port. Bind tcp://0.0.0.0:5570
                      to serve other machines (the protocol has no authentication).
  --state-file PATH   Keep the schema registry in this file across restarts.
  --log-level LEVEL   debug, info (default), warn or error.
  --json              Log JSON lines instead of text.
  --heartbeat-ms N    Heartbeat interval clients must use (default 2000);
                      registrations go stale after 2 and are removed after 3 intervals.
  --discovery-dir DIR Publish this broker's endpoint file (broker.<host>.<pid>.json) here, so
                      clients find it; default as for \`hubscope serve\` ($HUBSCOPE_DISCOVERY_DIR, ...).
  --no-discovery      Publish no endpoint file.

Prints the bound endpoint on stdout once listening; logs go to stderr.`;

function valueOf(args: string[], i: number, flag: string): string {
  const v = args[i + 1];
  if (v === undefined || v.startsWith('--')) throw new UsageError(`${flag} needs a value`);
  return v;
}

export function parseBrokerArgs(args: string[]): BrokerCliOptions {
  const o: BrokerCliOptions = {
    endpoint: undefined,
    stateFile: undefined,
    logLevel: 'info',
    json: false,
    heartbeatMs: undefined,
    discoveryDir: undefined,
    discovery: true,
  };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    const [flag, inline] = arg.includes('=')
      ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)]
      : [arg, undefined];
    const take = () => {
      if (inline !== undefined) return inline;
      const v = valueOf(args, i, flag);
      i++;
      return v;
    };
    switch (flag) {
      case '--endpoint': {
        const v = take();
        if (!/^(tcp|ipc|inproc):\/\/.+/.test(v))
          throw new UsageError(
            `--endpoint ${JSON.stringify(v)} is not a ZeroMQ endpoint like tcp://127.0.0.1:5570 or ipc:///tmp/hub.sock`,
          );
        o.endpoint = v;
        break;
      }
      case '--state-file':
        o.stateFile = take();
        break;
      case '--log-level': {
        const v = take();
        if (!isLogLevel(v))
          throw new UsageError(`--log-level ${JSON.stringify(v)} is not one of ${LOG_LEVELS.join(', ')}`);
        o.logLevel = v;
        break;
      }
      case '--json':
        o.json = true;
        break;
      case '--heartbeat-ms': {
        const v = take();
        const n = Number(v);
        if (!Number.isInteger(n) || n < 10 || n > 3_600_000)
          throw new UsageError(`--heartbeat-ms ${JSON.stringify(v)} must be an integer from 10 to 3600000`);
        o.heartbeatMs = n;
        break;
      }
      case '--discovery-dir':
        o.discoveryDir = take();
        break;
      case '--no-discovery':
        o.discovery = false;
        break;
      default:
        throw new UsageError(`unknown option ${JSON.stringify(arg)}`);
    }
  }
  return o;
}

/** The endpoint file that lets clients find this broker; a directory problem is logged, not fatal. */
function publishEndpointFile(broker: Broker, option: string | undefined, logger: ReturnType<typeof createLogger>) {
  const choice = chooseDiscoveryDir(option);
  try {
    ensureDiscoveryDir(choice.dir, choice.perUser);
    const handle = publishBrokerEndpoint(choice.dir, {
      endpoint: broker.endpoint,
      name: 'hubscope broker',
      version: VERSION,
    });
    logger.info('endpoint file published', { path: handle.path });
    return handle;
  } catch (err) {
    logger.warn('endpoint file not published', { dir: choice.dir, error: (err as Error).message });
    return undefined;
  }
}

/** The broker could not bind because the address is taken (the ZeroMQ error text is all it keeps). */
function isAddressInUse(err: unknown): boolean {
  return /Address already in use|EADDRINUSE/.test((err as Error | undefined)?.message ?? '');
}

/** Runs the broker until `stop` reports a signal, cleans up, and resolves to that signal. */
async function runUntilStopped(args: string[], hooks: BrokerCliHooks, stop: StopSignal): Promise<NodeJS.Signals> {
  const o = parseBrokerArgs(args);
  const logger = createLogger({ level: o.logLevel, json: o.json, base: { component: 'broker' } });
  if (o.discoveryDir !== undefined && !o.discovery) {
    throw new UsageError('--discovery-dir and --no-discovery contradict each other');
  }
  const endpoint = o.endpoint ?? DEFAULT_BROKER_ENDPOINT;
  const broker: Broker = await startBroker({
    endpoint,
    ...(o.stateFile !== undefined ? { stateFile: o.stateFile } : {}),
    ...(o.heartbeatMs !== undefined ? { heartbeatIntervalMs: o.heartbeatMs } : {}),
    logger,
  }).catch(async (err: unknown) => {
    if (!isAddressInUse(err)) throw err;
    throw new Error(await endpointInUseMessage(endpoint, chooseDiscoveryDir(o.discoveryDir).dir));
  });
  process.stdout.write(broker.endpoint + '\n');
  const endpointFile = o.discovery ? publishEndpointFile(broker, o.discoveryDir, logger) : undefined;
  await hooks.onListening?.({ endpoint: broker.endpoint, bootId: broker.bootId });
  const signal = await stop.received;
  logger.info('shutting down', { signal });
  await broker.close(`broker stopped by ${signal}`);
  await endpointFile?.remove();
  await hooks.onClosed?.();
  return signal;
}

/** Runs the broker until SIGINT/SIGTERM; resolves to 0 once it stopped and removed its endpoint file. */
export async function runBroker(args: string[], hooks: BrokerCliHooks = {}): Promise<number> {
  const stop = waitForStopSignal();
  try {
    await runUntilStopped(args, hooks, stop);
    return 0;
  } finally {
    stop.dispose();
  }
}

/** The `broker` subcommand; the app can build one with hooks (endpoint file publishing). */
export function createBrokerCommand(hooks: BrokerCliHooks = {}): CliCommand {
  return {
    name: 'broker',
    summary: 'Run the MessageHub broker (standalone, no server needed)',
    usage: USAGE,
    // As a command it ends by the signal that stopped it, like every other shell.
    async run(args) {
      const stop = waitForStopSignal();
      const signal = await runUntilStopped(args, hooks, stop).catch((err: unknown) => {
        stop.dispose();
        throw err;
      });
      stop.exitBy(signal);
      return 0;
    },
  };
}

export const brokerCommand: CliCommand = createBrokerCommand();
