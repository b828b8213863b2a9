// `hubscope watch`: the alert engine without a UI. Runs the same services as
// `serve` (segments, broker, discovery), evaluates the alert rules and prints
// each raised and cleared alert, running the alert command / webhook on each.
import type { AlertEvent } from '../alerts/alert-engine.js';
import { ALERT_OPTION_SPECS, ALERT_OPTIONS_HELP, alertNotifiersFrom } from '../alerts/notifier-options.js';
import { ALERT_RULE_TITLES } from '../../preload/contract.js';
import { startCore } from '../core/hubscope-core.js';
import { SERVICE_OPTION_SPECS, SERVICE_OPTIONS_HELP, serviceOptionsFrom } from '../core/options.js';
import { waitForStopSignal } from '../shared/stop-signal.js';
import { parseCliArgs, type CliCommand } from './command.js';

const USAGE = `Usage: hubscope watch [--json] [alert options] [service options]

Watches the DataBlocks, the broker and the discovery directory headless and
reports alerts (rules in the per-user file, docs/alerts.md): one line per raised
or cleared alert. Runs until Ctrl-C.

Options:
  --json         One JSON object per line: {"event": "raised"|"cleared", "alert": {...}}.
  -h, --help     Show this help.

${ALERT_OPTIONS_HELP}

${SERVICE_OPTIONS_HELP}`;

function line(event: AlertEvent): string {
  const a = event.alert;
  const when = event.event === 'raised' ? a.raisedAt : a.clearedAt;
  const held = event.event === 'cleared' ? ` (held ${Math.round(a.durationMs / 1000)} s)` : '';
  return `${when} ${event.event.toUpperCase()} ${ALERT_RULE_TITLES[a.rule]}: ${a.message}${held}`;
}

export const watchCommand: CliCommand = {
  name: 'watch',
  summary: 'Watch headless and report alerts (run a command or post a webhook on each)',
  usage: USAGE,
  async run(args) {
    const { values } = parseCliArgs({
      args,
      options: {
        json: { type: 'boolean', default: false },
        ...ALERT_OPTION_SPECS,
        ...SERVICE_OPTION_SPECS,
      },
    });
    const services = serviceOptionsFrom(values);
    const notifiers = alertNotifiersFrom(values);
    const print = (event: AlertEvent): void => {
      console.log(values.json ? JSON.stringify(event) : line(event));
    };
    // A monitor must outlive the faults it monitors: log and keep watching.
    process.on('uncaughtException', (err) => console.error('hubscope watch: unexpected error:', err));
    process.on('unhandledRejection', (err) => console.error('hubscope watch: unexpected rejection:', err));
    const stop = waitForStopSignal();
    const core = await startCore({ shell: 'browser', services, alerts: { notifiers: [print, ...notifiers] } }).catch(
      (err: unknown) => {
        stop.dispose();
        throw err;
      },
    );
    const rules = core.alerts.rules();
    if (!values.json) {
      console.log(`Watching for alerts (rules: ${rules.file ?? 'defaults'}). Ctrl-C stops.`);
    }
    if (rules.problem) console.error(`hubscope watch: ${rules.problem}`);
    const signal = await stop.received;
    await core.close();
    stop.exitBy(signal);
    return 0;
  },
};
