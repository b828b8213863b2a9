import { ALERT_OPTION_SPECS, ALERT_OPTIONS_HELP, alertNotifiersFrom } from '../alerts/notifier-options.js';
import { isLoopbackHost } from '../bridge/access.js';
import { startHttpBridge } from '../bridge/http-bridge.js';
import { startCore } from '../core/hubscope-core.js';
import { SERVICE_OPTION_SPECS, SERVICE_OPTIONS_HELP, serviceOptionsFrom } from '../core/options.js';
import { rendererDist } from '../paths.js';
import { parseCliArgs, UsageError, type CliCommand } from './command.js';
import { waitForStopSignal } from '../shared/stop-signal.js';

const USAGE = `Usage: hubscope serve [--host 127.0.0.1] [--port 7400] [--token T | --no-token] [alert options] [service options]

Runs HubScope's services headless and serves the UI to a browser: the built
renderer over HTTP and the same contract the desktop app uses over WebSocket.

Options:
  --host ADDR    Address to bind (default 127.0.0.1).
  --port N       TCP port (default 7400, or a free port when 7400 is taken; 0 picks a free port).
  --token T      Use this access token (at least 16 characters) instead of a generated one.
                 Every connection needs the token, on loopback too (any local user can
                 connect to 127.0.0.1); the printed URL carries it, and the page keeps
                 it in a cookie.
  --no-token     Loopback only: accept connections without a token. Only for a machine
                 nobody else logs in to: any local process can then read what you can.
  --json         Print the startup line as JSON ({"url", "host", "port", "token", "broker", "discoveryDir"}).
  -h, --help     Show this help.

${ALERT_OPTIONS_HELP}

${SERVICE_OPTIONS_HELP}`;

export function parsePort(text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  if (!/^\d+$/.test(text) || Number(text) > 65535) {
    throw new UsageError(`--port must be a whole number from 0 to 65535, not "${text}".`);
  }
  return Number(text);
}

export const serveCommand: CliCommand = {
  name: 'serve',
  summary: 'Run HubScope headless and serve the UI to a browser',
  usage: USAGE,
  async run(args) {
    const { values } = parseCliArgs({
      args,
      options: {
        host: { type: 'string', default: '127.0.0.1' },
        port: { type: 'string' },
        token: { type: 'string' },
        'no-token': { type: 'boolean', default: false },
        json: { type: 'boolean', default: false },
        ...ALERT_OPTION_SPECS,
        ...SERVICE_OPTION_SPECS,
      },
    });
    const port = parsePort(values.port, 7400);
    if (values.token !== undefined && values.token.length < 16) {
      throw new UsageError('--token must be at least 16 characters.');
    }
    const noToken = values['no-token'] ?? false;
    if (noToken && values.token !== undefined) throw new UsageError('give --token or --no-token, not both.');
    if (noToken && !isLoopbackHost(values.host)) {
      throw new UsageError(`--no-token is only allowed on a loopback address, not on ${values.host}.`);
    }
    const services = serviceOptionsFrom(values);
    const notifiers = alertNotifiersFrom(values);
    // A monitor must outlive the faults it monitors: log and keep serving.
    process.on('uncaughtException', (err) => console.error('hubscope serve: unexpected error:', err));
    process.on('unhandledRejection', (err) => console.error('hubscope serve: unexpected rejection:', err));
    const stop = waitForStopSignal();
    const core = await startCore({ shell: 'browser', services, alerts: { notifiers } }).catch((err: unknown) => {
      stop.dispose();
      throw err;
    });
    const bridgeOn = (onPort: number) =>
      startHttpBridge(core, {
        host: values.host,
        port: onPort,
        staticRoot: rendererDist(),
        ...(noToken ? { token: null } : values.token !== undefined ? { token: values.token } : {}),
      });
    const bridge = await bridgeOn(port)
      .catch((err: NodeJS.ErrnoException) => {
        // The default port taken (another HubScope, most likely): any free port will do.
        if (err.code === 'EADDRINUSE' && values.port === undefined) {
          console.log(`Port ${port} is in use; using a free port instead.`);
          return bridgeOn(0);
        }
        throw err;
      })
      .catch(async (err: NodeJS.ErrnoException) => {
        await core.close();
        stop.dispose();
        if (err.code === 'EADDRINUSE')
          throw new Error(`port ${port} on ${values.host} is in use; pick another with --port.`);
        throw err;
      });

    const broker = core.bus.latest('broker');
    const discoveryDir = services.discovery?.dir ?? null;
    if (values.json) {
      console.log(
        JSON.stringify({
          url: bridge.url,
          host: bridge.host,
          port: bridge.port,
          token: bridge.token,
          broker: broker?.endpoint ?? null,
          discoveryDir,
        }),
      );
    } else {
      console.log(`HubScope is serving at ${bridge.url}`);
      if (broker?.endpoint) console.log(`MessageHub broker (${broker.mode}): ${broker.endpoint}`);
      if (broker?.error) console.log(`MessageHub broker problem: ${broker.error}`);
      if (discoveryDir) console.log(`Discovery directory: ${discoveryDir}`);
      if (bridge.token) console.log("Anyone with this URL (it holds the access token) can see this machine's data.");
    }

    // Repeated signals (Ctrl-C under npm arrives more than once) must not cut this short.
    const signal = await stop.received;
    await bridge.close();
    await core.close();
    stop.exitBy(signal);
    return 0;
  },
};
