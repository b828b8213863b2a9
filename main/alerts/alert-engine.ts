// The alert engine main runs whether a view is open or not: it evaluates the
// rules on every update of the core's topics, keeps the history, and hands each
// raised or cleared alert to the notifiers (OS notification, command, webhook).
import type { AlertDto, AlertRules, AlertRulesState, AlertsStatus } from '../../preload/contract.js';
import { AlertEvaluator, type AlertInputs } from './evaluator.js';
import { AlertHistory } from './history.js';
import { loadAlertRules, saveAlertRules } from './rule-file.js';
import { checkAlertRules, DEFAULT_ALERT_RULES } from './rules.js';

export interface AlertEvent {
  event: 'raised' | 'cleared';
  alert: AlertDto;
}

/** Told of every raised and cleared alert; a throw or rejection is logged and ignored. */
export type AlertNotifier = (event: AlertEvent) => void | Promise<void>;

export interface AlertEngineOptions {
  /** The per-user rule file, or null to keep rules in memory only. */
  rulesFile: string | null;
  notifiers?: AlertNotifier[];
  log?: (line: string) => void;
}

export class AlertEngine {
  private state: AlertRulesState;
  private readonly evaluator = new AlertEvaluator();
  private readonly history = new AlertHistory();
  private readonly notifiers: AlertNotifier[];
  private readonly log: (line: string) => void;
  private lastFailure: string | null = null;

  constructor(options: AlertEngineOptions) {
    this.log = options.log ?? ((line) => console.error(line));
    this.notifiers = [...(options.notifiers ?? [])];
    this.state = options.rulesFile
      ? loadAlertRules(options.rulesFile)
      : { rules: structuredClone(DEFAULT_ALERT_RULES), file: null, problem: null };
    if (this.state.problem) this.log(`hubscope alerts: ${this.state.problem}`);
  }

  addNotifier(notifier: AlertNotifier): void {
    this.notifiers.push(notifier);
  }

  rules(): AlertRulesState {
    return structuredClone(this.state);
  }

  /** Checks, saves (when there is a file) and applies a new rule set; throws with the reason when it is not valid. */
  setRules(value: unknown): AlertRulesState {
    const checked = checkAlertRules(value);
    if (!checked.ok) throw new Error(`the alert rules are not valid: ${checked.problem}`);
    if (this.state.file) saveAlertRules(this.state.file, checked.rules);
    this.state = { rules: checked.rules, file: this.state.file, problem: null };
    return this.rules();
  }

  currentRules(): AlertRules {
    return this.state.rules;
  }

  /** Never throws: a failing evaluation is logged (once per message) and the alerts stay as they were. */
  update(inputs: AlertInputs, now: number = Date.now()): AlertsStatus {
    let conditions;
    try {
      conditions = this.evaluator.evaluate(this.state.rules, inputs, now);
    } catch (err) {
      const line = `hubscope alerts: the rules could not be evaluated: ${(err as Error).message}`;
      if (line !== this.lastFailure) this.log(line);
      this.lastFailure = line;
      return this.history.status(now);
    }
    this.lastFailure = null;
    const changes = this.history.apply(conditions, now);
    for (const alert of changes.raised) this.notify({ event: 'raised', alert });
    for (const alert of changes.cleared) this.notify({ event: 'cleared', alert });
    return this.history.status(now);
  }

  status(now: number = Date.now()): AlertsStatus {
    return this.history.status(now);
  }

  private notify(event: AlertEvent): void {
    for (const notifier of this.notifiers) {
      const failed = (err: unknown): void => this.log(`hubscope alerts: a notifier failed: ${(err as Error).message}`);
      try {
        void Promise.resolve(notifier(event)).catch(failed);
      } catch (err) {
        failed(err);
      }
    }
  }
}
