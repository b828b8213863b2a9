// `hubscope broker`: the MessageHub broker as a standalone process on any workstation.
// Prints the bound endpoint on stdout (one line), logs to stderr (JSON lines with
// --json), stops gracefully on SIGINT/SIGTERM after telling every client.
import { startBroker, type Broker } from '../broker/broker.js';
import type { TraceEntry } from '../protocol/trace.js';
import { createLogger, isLogLevel, LOG_LEVELS, type LogLevel } from '../broker/logger.js';
import { DEFAULT_BROKER_ENDPOINT } from '../core/options.js';
import { chooseDiscoveryDir, ensureDiscoveryDir } from '../discovery/directory.js';
import { publishBrokerEndpoint } from '../discovery/publish.js';
import { keyFingerprint, readKeyFile } from '../keys/index.js';
import { VERSION } from '../version.js';
import { UsageError, type CliCommand } from './command.js';
import { endpointInUseMessage } from './endpoint-holder.js';
import { waitForStopSignal, type StopSignal } from '../shared/stop-signal.js';

export interface BrokerCliHooks {
  /** Called once the broker is bound (e.g. the app publishes an endpoint file for discovery). */
  onListening?: (info: { endpoint: string; bootId: string; serverKey: string | null }) => void | Promise<void>;
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
  /** --open: no CURVE (only when asked for). */
  open: boolean;
  /** --allow FILE: only the client keys listed there may connect. */
  allowFile: string | undefined;
  /** --key FILE: the broker's key pair; default broker.key in the config directory. */
  keyFile: string | undefined;
  /** --trace: log every message received and sent (metadata, no bodies). */
  trace: boolean;
  /** --metrics-port N: serve Prometheus metrics on this port (0: a free one). */
  metricsPort: number | undefined;
  /** --metrics-host H: where the metrics endpoint binds; default 127.0.0.1. */
  metricsHost: string;
}

export const DEFAULT_METRICS_HOST = '127.0.0.1';

const USAGE = `Usage: hubscope broker [--endpoint tcp://127.0.0.1:5570] [--state-file path]
                       [--log-level ${LOG_LEVELS.join('|')}] [--json] [--heartbeat-ms N]
                       [--discovery-dir DIR | --no-discovery]
                       [--allow FILE] [--key FILE] [--open]
                       [--trace] [--metrics-port N [--metrics-host H]]

Runs the MessageHub broker (protocol 1 and 2, docs/protocol.md) until SIGINT/SIGTERM.
By default clients must use CURVE (any client key may connect) and a channel belongs
to the key that registered it (docs/security.md).

  --endpoint URL      ZeroMQ endpoint to bind (tcp://host:port or ipc://path).
                      Default ${DEFAULT_BROKER_ENDPOINT}, where the app and \`hubscope demo\`
                      look first; port 0 picks a free port. Bind tcp://0.0.0.0:5570
                      to serve other machines (with --allow, only listed keys).
  --allow FILE        Only the client public keys listed in FILE (one per line, \`#\`
                      comments) may connect; edits take effect within a second, and
                      a key removed is refused and its sessions dropped.
  --key FILE          The broker's key pair (\`hubscope keys gen --name broker\`);
                      default broker.key in ${'$'}XDG_CONFIG_HOME/hubscope or ~/.config/hubscope,
                      made on first start.
  --open              No authentication at all: anyone who reaches the endpoint may
                      register, take over or destroy any channel. Only when asked for.
  --trace             Log every message received and sent (type, correlation id,
                      channel, size, reply latency, error code; never a body).
  --metrics-port N    Serve the broker's metrics in the Prometheus text format at
                      http://H:N/metrics (0 picks a free port; the URL is printed).
  --metrics-host H    Address the metrics endpoint binds (default ${DEFAULT_METRICS_HOST}).
  --state-file PATH   Keep the schema registry in this file across restarts.
  --log-level LEVEL   debug, info (default), warn or error.
  --json              Log JSON lines instead of text.
  --heartbeat-ms N    Heartbeat interval clients must use (default 2000);
                      registrations go stale after 2 and are removed after 3 intervals.
  --discovery-dir DIR Publish this broker's endpoint file (broker.<host>.<pid>.json) here, so
                      clients find it; default as for \`hubscope serve\` ($HUBSCOPE_DISCOVERY_DIR, ...).
  --no-discovery      Publish no endpoint file.
  --install-service   Do not run: write the systemd user service hubscope-broker that runs
                      the broker with the other options given (restarted on failure) and
                      print how to start it; with --now, start it (docs/deploy.md).

Prints the bound endpoint on stdout once listening, then the server key line
(\`server key <Z85> fingerprint <xxxx-xxxx-xxxx-xxxx> mode <curve|allow-list>\`, or
\`open broker: no authentication\`), and with --metrics-port \`metrics <URL>\`;
logs go to stderr.`;

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
    open: false,
    allowFile: undefined,
    keyFile: undefined,
    trace: false,
    metricsPort: undefined,
    metricsHost: DEFAULT_METRICS_HOST,
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
      case '--open':
        o.open = true;
        break;
      case '--allow':
        o.allowFile = take();
        break;
      case '--key':
        o.keyFile = take();
        break;
      case '--trace':
        o.trace = true;
        break;
      case '--metrics-port': {
        const v = take();
        const n = Number(v);
        if (!/^\d+$/.test(v) || n > 65535)
          throw new UsageError(`--metrics-port ${JSON.stringify(v)} must be a port number from 0 to 65535`);
        o.metricsPort = n;
        break;
      }
      case '--metrics-host': {
        const v = take();
        if (v.length === 0 || /[\s/]/.test(v))
          throw new UsageError(`--metrics-host ${JSON.stringify(v)} is not a host name or address`);
        o.metricsHost = v;
        break;
      }
      default:
        throw new UsageError(`unknown option ${JSON.stringify(arg)}`);
    }
  }
  if (o.open && (o.allowFile !== undefined || o.keyFile !== undefined)) {
    throw new UsageError('--open turns CURVE off; it cannot be combined with --allow or --key');
  }
  if (o.metricsHost !== DEFAULT_METRICS_HOST && o.metricsPort === undefined) {
    throw new UsageError('--metrics-host needs --metrics-port');
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
      security: broker.security.mode,
      ...(broker.serverKey ? { serverKey: broker.serverKey } : {}),
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
  const security = o.open
    ? { open: true }
    : {
        // Without --key the broker takes (or makes, and logs) broker.key in the config directory.
        ...(o.keyFile !== undefined ? { keyPair: readKeyFile(o.keyFile) } : {}),
        ...(o.allowFile !== undefined ? { allowFile: o.allowFile } : {}),
      };
  const broker: Broker = await startBroker({
    endpoint,
    ...security,
    ...(o.stateFile !== undefined ? { stateFile: o.stateFile } : {}),
    ...(o.heartbeatMs !== undefined ? { heartbeatIntervalMs: o.heartbeatMs } : {}),
    ...(o.trace ? { onTrace: (entry: TraceEntry) => logger.info('trace', { ...entry }) } : {}),
    logger,
  }).catch(async (err: unknown) => {
    if (!isAddressInUse(err)) throw err;
    throw new Error(await endpointInUseMessage(endpoint, chooseDiscoveryDir(o.discoveryDir).dir));
  });
  process.stdout.write(broker.endpoint + '\n');
  process.stdout.write(
    broker.serverKey
      ? `server key ${broker.serverKey} fingerprint ${keyFingerprint(broker.serverKey)} mode ${broker.security.mode}\n`
      : 'open broker: no authentication (--open); anyone who reaches the endpoint may destroy any channel\n',
  );
  let metricsServer: { url: string; close(): Promise<void> } | undefined;
  if (o.metricsPort !== undefined) {
    // Loaded only when asked for: nothing else needs prom-client.
    const { brokerRegistry, serveMetrics } = await import('../broker/prometheus.js');
    metricsServer = await serveMetrics(
      brokerRegistry(() => broker.metricsSnapshot()),
      o.metricsHost,
      o.metricsPort,
    ).catch(async (err: unknown) => {
      await broker.close('the metrics endpoint could not start');
      throw new Error(`cannot serve metrics on ${o.metricsHost}:${o.metricsPort}: ${(err as Error).message}`);
    });
  }
  if (metricsServer) process.stdout.write(`metrics ${metricsServer.url}\n`);
  const endpointFile = o.discovery ? publishEndpointFile(broker, o.discoveryDir, logger) : undefined;
  await hooks.onListening?.({ endpoint: broker.endpoint, bootId: broker.bootId, serverKey: broker.serverKey });
  const signal = await stop.received;
  logger.info('shutting down', { signal });
  await broker.close(`broker stopped by ${signal}`);
  await metricsServer?.close();
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
      // A service that runs the broker, instead of running it here (broker-service.ts).
      if (args.includes('--install-service')) return (await import('./broker-service.js')).installBrokerService(args);
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
