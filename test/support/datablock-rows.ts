// A DataBlocks row as the monitor publishes it for a healthy Sequential segment, for
// tests of what is derived from rows (diagnosis, alert rules) without a segment.
import type { DataBlockRow } from '../../preload/contract.js';

export const HEALTHY_SEQUENTIAL_ROW: Readonly<DataBlockRow> = {
  name: 'lab.x',
  size: 16384,
  capacity: 8,
  stride: 64,
  policy: 'RingBuffer',
  syncPolicy: 'Sequential',
  totalSlotsWritten: '100',
  producerPid: 1,
  producerName: 'p',
  alive: true,
  liveness: 'alive',
  valid: true,
  problems: [],
  recordsPerSec: 10,
  bytesPerSec: 640,
  overwritesPerSec: 0,
  lag: 2,
  idleMs: 100,
  checksumFailures: 0,
};
