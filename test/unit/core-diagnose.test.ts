import { describe, expect, it } from 'vitest';
import type { DataBlockRow } from '../../preload/contract.js';
import { HEALTHY_SEQUENTIAL_ROW } from '../support/datablock-rows.js';
import { diagnoseSegment, IDLE_NOTICE_MS } from '../../main/core/diagnose.js';

const healthy: DataBlockRow = HEALTHY_SEQUENTIAL_ROW;

describe('diagnoseSegment', () => {
  it('says nothing about a healthy segment', () => {
    expect(diagnoseSegment(healthy)).toEqual([]);
  });

  it('names a full Sequential ring and who waits for whom', () => {
    expect(diagnoseSegment({ ...healthy, lag: 8 })).toEqual([
      'the ring of /dev/shm/lab.x is full: its consumers are 8 records behind (capacity 8), so a Sequential producer waits for them',
    ]);
  });

  it('notices a live producer that stopped committing, but not a dead one (the merge reports that)', () => {
    expect(diagnoseSegment({ ...healthy, idleMs: IDLE_NOTICE_MS + 2000 })).toEqual([
      'no new record in /dev/shm/lab.x for 12 s, although its producer is alive',
    ]);
    expect(diagnoseSegment({ ...healthy, idleMs: IDLE_NOTICE_MS + 2000, alive: false })).toEqual([]);
  });

  it('passes on the producer’s checksum failure counter', () => {
    expect(diagnoseSegment({ ...healthy, checksumFailures: 3 })).toEqual([
      'the producer of /dev/shm/lab.x counts 3 checksum failures',
    ]);
  });
});
