// Alerts over time: a condition that starts holding raises an alert, one that
// stops holding clears it, and cleared alerts are kept (newest first, bounded)
// with how long they held.
import type { AlertDto, AlertsStatus } from '../../preload/contract.js';
import type { AlertCondition } from './evaluator.js';

export const HISTORY_LIMIT = 200;

export interface AlertChanges {
  raised: AlertDto[];
  cleared: AlertDto[];
}

interface Held {
  alert: AlertDto;
  raisedAtMs: number;
}

export class AlertHistory {
  private readonly active = new Map<string, Held>();
  private readonly cleared: AlertDto[] = [];
  private nextId = 1;

  apply(conditions: AlertCondition[], now: number = Date.now()): AlertChanges {
    const changes: AlertChanges = { raised: [], cleared: [] };
    const holding = new Set<string>();
    for (const c of conditions) {
      holding.add(c.key);
      const held = this.active.get(c.key);
      if (held) {
        // Same alert, newer words (e.g. how long nothing arrived).
        held.alert.message = c.message;
        continue;
      }
      const alert: AlertDto = {
        id: this.nextId++,
        rule: c.rule,
        subject: c.subject,
        channel: c.channel,
        message: c.message,
        raisedAt: new Date(now).toISOString(),
        clearedAt: null,
        durationMs: 0,
      };
      this.active.set(c.key, { alert, raisedAtMs: now });
      changes.raised.push({ ...alert });
    }
    for (const [key, held] of this.active) {
      if (holding.has(key)) continue;
      this.active.delete(key);
      const done: AlertDto = {
        ...held.alert,
        clearedAt: new Date(now).toISOString(),
        durationMs: now - held.raisedAtMs,
      };
      this.cleared.unshift(done);
      changes.cleared.push(done);
    }
    if (this.cleared.length > HISTORY_LIMIT) this.cleared.length = HISTORY_LIMIT;
    return changes;
  }

  status(now: number = Date.now()): AlertsStatus {
    return {
      active: [...this.active.values()].map((h) => ({ ...h.alert, durationMs: now - h.raisedAtMs })),
      history: [...this.cleared],
    };
  }
}
