// The last minute of throughput per DataBlock, kept in the renderer from the
// datablocks topic (main sends only the current rate).
import type { DataBlockRow } from '../../../preload/contract.js';
import { withRateSample } from './channel-table.js';

/** Samples kept per segment: one per topic update, about one a second. */
const KEEP = 60;

export const rateHistory: Record<string, number[]> = $state({});

export function recordRates(rows: DataBlockRow[]): void {
  for (const row of rows) {
    rateHistory[row.name] = withRateSample(rateHistory[row.name] ?? [], row.recordsPerSec, KEEP);
  }
  const present = rows.map((r) => r.name);
  for (const name of Object.keys(rateHistory)) if (!present.includes(name)) delete rateHistory[name];
}
