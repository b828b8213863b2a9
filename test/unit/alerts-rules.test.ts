// The alert rules and their per-user file: defaults, round trip through a real
// file, and every way a file or a rule set from the UI can be wrong.
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { AlertEngine } from '../../main/alerts/alert-engine.js';
import { alertRulesPath, loadAlertRules, saveAlertRules } from '../../main/alerts/rule-file.js';
import { checkAlertRules, DEFAULT_ALERT_RULES } from '../../main/alerts/rules.js';

const dir = mkdtempSync(join(tmpdir(), 'hubscope-alert-rules-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('alert rule file', () => {
  it('lives in $XDG_CONFIG_HOME/hubscope, else in $HOME/.config/hubscope', () => {
    expect(alertRulesPath({ XDG_CONFIG_HOME: '/x/cfg', HOME: '/home/u' })).toBe('/x/cfg/hubscope/alerts.json');
    expect(alertRulesPath({ HOME: '/home/u' })).toBe('/home/u/.config/hubscope/alerts.json');
    // A relative XDG_CONFIG_HOME is not valid (XDG spec): HOME is used.
    expect(alertRulesPath({ XDG_CONFIG_HOME: 'rel', HOME: '/home/u' })).toBe('/home/u/.config/hubscope/alerts.json');
  });

  it('a missing file means the defaults, without a problem', () => {
    expect(loadAlertRules(join(dir, 'none', 'alerts.json'))).toEqual({
      rules: DEFAULT_ALERT_RULES,
      file: join(dir, 'none', 'alerts.json'),
      problem: null,
    });
  });

  it('round-trips a rule set through a real file (making its folder)', () => {
    const file = join(dir, 'cfg', 'hubscope', 'alerts.json');
    const rules = {
      ...DEFAULT_ALERT_RULES,
      noRecord: { enabled: false, seconds: 2.5 },
      consumerLag: { enabled: true, records: 7 },
    };
    saveAlertRules(file, rules);
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual(rules);
    expect(loadAlertRules(file)).toEqual({ rules, file, problem: null });
  });

  it('a file that is not JSON, not valid, or unreadable is reported (not quoted) and the defaults apply', () => {
    const cases: Array<[string, string, RegExp]> = [
      ['broken.json', '{"noRecord": {"enabled": tru', /is not valid JSON; the default rules apply$/],
      ['array.json', '[1, 2]', /the rules must be a JSON object/],
      ['unknown.json', '{"noRecords": {"enabled": true}}', /unknown rule "noRecords"/],
      ['type.json', '{"noRecord": {"enabled": "yes"}}', /noRecord.enabled must be true or false/],
      ['range.json', '{"consumerLag": {"records": -1}}', /consumerLag.records must be a number from 1 to/],
      [
        'key.json',
        '{"producerDead": {"enabled": true, "seconds": 3}}',
        /producerDead has an unknown setting "seconds"/,
      ],
    ];
    for (const [name, text, problem] of cases) {
      const file = join(dir, name);
      writeFileSync(file, text);
      const state = loadAlertRules(file);
      expect(state.rules).toEqual(DEFAULT_ALERT_RULES);
      expect(state.problem).toMatch(problem);
      expect(state.problem).not.toContain('tru,');
    }
    const locked = join(dir, 'locked.json');
    writeFileSync(locked, '{}');
    chmodSync(locked, 0o000);
    const state = loadAlertRules(locked);
    // root reads anything: then the empty object is simply valid.
    if (process.getuid?.() !== 0) expect(state.problem).toMatch(/cannot read .*locked.json \(EACCES\)/);
    const folder = join(dir, 'folder.json');
    mkdirSync(folder);
    expect(loadAlertRules(folder).problem).toMatch(/cannot read .*folder.json \(EISDIR\)/);
  });

  it('rules left out of a file take their defaults', () => {
    const checked = checkAlertRules({ brokerUnreachable: { seconds: 1 } });
    expect(checked).toEqual({
      ok: true,
      rules: { ...DEFAULT_ALERT_RULES, brokerUnreachable: { enabled: true, seconds: 1 } },
    });
  });

  it('the engine saves rules it accepts and refuses a bad set with the reason, keeping the old one', () => {
    const file = join(dir, 'engine', 'alerts.json');
    const log: string[] = [];
    const engine = new AlertEngine({ rulesFile: file, log: (l) => log.push(l) });
    const saved = engine.setRules({ ...DEFAULT_ALERT_RULES, heartbeatStale: { enabled: false } });
    expect(saved.rules.heartbeatStale.enabled).toBe(false);
    expect(new AlertEngine({ rulesFile: file }).rules().rules.heartbeatStale.enabled).toBe(false);
    expect(() => engine.setRules({ noRecord: { seconds: 'ten' } })).toThrow(
      'the alert rules are not valid: noRecord.seconds must be a number from 0.1 to 86400',
    );
    expect(engine.rules().rules.heartbeatStale.enabled).toBe(false);
    writeFileSync(file, 'nonsense');
    const reported = new AlertEngine({ rulesFile: file, log: (l) => log.push(l) });
    expect(reported.rules().problem).toMatch(/is not valid JSON/);
    expect(log.some((l) => l.includes('is not valid JSON; the default rules apply'))).toBe(true);
  });
});
