// The alert rules: their defaults and the check of a rule set that came from
// outside (the per-user file, the UI). A check never throws on bad input; it
// names the first thing wrong so the caller can report it and fall back.
import type { AlertRuleName, AlertRules } from '../../preload/contract.js';

export const DEFAULT_ALERT_RULES: AlertRules = {
  noRecord: { enabled: true, seconds: 10 },
  heartbeatStale: { enabled: true },
  producerDead: { enabled: true },
  checksumFailures: { enabled: true, seconds: 60 },
  schemaMismatch: { enabled: true },
  consumerLag: { enabled: true, records: 1000 },
  ringOverwrites: { enabled: true },
  brokerUnreachable: { enabled: true, seconds: 5 },
};

/** Each rule's numeric threshold (if it has one) and the range it must lie in. */
const THRESHOLDS: Record<AlertRuleName, { key: string; min: number; max: number } | null> = {
  noRecord: { key: 'seconds', min: 0.1, max: 86_400 },
  heartbeatStale: null,
  producerDead: null,
  checksumFailures: { key: 'seconds', min: 0.1, max: 86_400 },
  schemaMismatch: null,
  consumerLag: { key: 'records', min: 1, max: 1e12 },
  ringOverwrites: null,
  brokerUnreachable: { key: 'seconds', min: 0, max: 86_400 },
};

export const ALERT_RULE_NAMES = Object.keys(THRESHOLDS) as AlertRuleName[];

export type RulesCheck = { ok: true; rules: AlertRules } | { ok: false; problem: string };

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * A complete rule set from untrusted JSON. Rules left out take their defaults
 * (a file written by an older HubScope stays valid); unknown rules, unknown keys
 * and values of the wrong type or out of range are refused.
 */
export function checkAlertRules(value: unknown): RulesCheck {
  if (!isObject(value)) return { ok: false, problem: 'the rules must be a JSON object' };
  for (const key of Object.keys(value)) {
    if (!(key in THRESHOLDS)) return { ok: false, problem: `unknown rule "${key.slice(0, 40)}"` };
  }
  const rules = structuredClone(DEFAULT_ALERT_RULES);
  for (const name of ALERT_RULE_NAMES) {
    const given = value[name];
    if (given === undefined) continue;
    if (!isObject(given)) return { ok: false, problem: `rule ${name} must be an object` };
    const threshold = THRESHOLDS[name];
    for (const key of Object.keys(given)) {
      if (key !== 'enabled' && key !== threshold?.key) {
        return { ok: false, problem: `rule ${name} has an unknown setting "${key.slice(0, 40)}"` };
      }
    }
    const target = rules[name] as unknown as Record<string, boolean | number>;
    if (given.enabled !== undefined) {
      if (typeof given.enabled !== 'boolean') return { ok: false, problem: `${name}.enabled must be true or false` };
      target.enabled = given.enabled;
    }
    if (threshold && given[threshold.key] !== undefined) {
      const n = given[threshold.key];
      if (typeof n !== 'number' || !Number.isFinite(n) || n < threshold.min || n > threshold.max) {
        return {
          ok: false,
          problem: `${name}.${threshold.key} must be a number from ${threshold.min} to ${threshold.max}`,
        };
      }
      target[threshold.key] = n;
    }
  }
  return { ok: true, rules };
}
