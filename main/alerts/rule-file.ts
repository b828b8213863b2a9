// The per-user rule file, $XDG_CONFIG_HOME/hubscope/alerts.json (else
// ~/.config/hubscope/alerts.json, HOME taken from the environment so a test's
// temporary HOME is used). A missing file means the defaults; a broken one is
// reported in words (never quoted: it may hold anything) and the defaults apply.
import { mkdirSync, readFileSync } from 'node:fs';
import { dirname, basename, join } from 'node:path';
import type { AlertRules, AlertRulesState } from '../../preload/contract.js';
import { writeFileAtomicSync } from '../discovery/atomic-write.js';
import { hubscopeConfigDir } from '../keys/config-dir.js';
import { checkAlertRules, DEFAULT_ALERT_RULES } from './rules.js';

/** Larger than any rule set; a bigger file is not read at all. */
const MAX_FILE_BYTES = 64 * 1024;

export function alertRulesPath(env: NodeJS.ProcessEnv = process.env): string {
  return join(hubscopeConfigDir(env), 'alerts.json');
}

export function loadAlertRules(file: string): AlertRulesState {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT')
      return { rules: structuredClone(DEFAULT_ALERT_RULES), file, problem: null };
    return fallback(file, `cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  if (text.length > MAX_FILE_BYTES) return fallback(file, `${file} is larger than ${MAX_FILE_BYTES} bytes`);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return fallback(file, `${file} is not valid JSON`);
  }
  const checked = checkAlertRules(json);
  if (!checked.ok) return fallback(file, `${file}: ${checked.problem}`);
  return { rules: checked.rules, file, problem: null };
}

function fallback(file: string, problem: string): AlertRulesState {
  return { rules: structuredClone(DEFAULT_ALERT_RULES), file, problem: `${problem}; the default rules apply` };
}

export function saveAlertRules(file: string, rules: AlertRules): void {
  // Checked again here: the file is read back at the next start and must load.
  const checked = checkAlertRules(rules);
  if (!checked.ok) throw new Error(`the alert rules are not valid: ${checked.problem}`);
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  writeFileAtomicSync(dirname(file), basename(file), `${JSON.stringify(checked.rules, null, 2)}\n`);
}
