// The notifier options the headless shells share (`hubscope serve`, `hubscope
// watch`): --alert-command CMD and --alert-webhook URL, each repeatable, parsed
// once here so both accept the same flags.
import { UsageError } from '../shared/command-line.js';
import type { AlertNotifier } from './alert-engine.js';
import { commandNotifier } from './command-notifier.js';
import { checkWebhookUrl, webhookNotifier } from './webhook-notifier.js';

export const ALERT_OPTIONS_HELP = `Alert options (rules: ~/.config/hubscope/alerts.json, docs/alerts.md):
  --alert-command CMD    Run CMD (through /bin/sh) on each raised or cleared alert, with the
                         alert as JSON in $HUBSCOPE_ALERT and on stdin (repeatable).
  --alert-webhook URL    POST each alert as JSON to URL (http or https, 5 s timeout; repeatable).`;

export const ALERT_OPTION_SPECS = {
  'alert-command': { type: 'string', multiple: true },
  'alert-webhook': { type: 'string', multiple: true },
} as const;

export interface AlertOptionValues {
  'alert-command'?: string[] | undefined;
  'alert-webhook'?: string[] | undefined;
}

export function alertNotifiersFrom(values: AlertOptionValues): AlertNotifier[] {
  const notifiers: AlertNotifier[] = [];
  for (const command of values['alert-command'] ?? []) {
    if (command.trim() === '') throw new UsageError('--alert-command needs a command.');
    notifiers.push(commandNotifier(command));
  }
  for (const text of values['alert-webhook'] ?? []) {
    try {
      notifiers.push(webhookNotifier(checkWebhookUrl(text)));
    } catch (err) {
      throw new UsageError(`--alert-webhook: ${(err as Error).message}.`);
    }
  }
  return notifiers;
}
