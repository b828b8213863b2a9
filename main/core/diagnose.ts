// "Why is nothing arriving?": what a segment's live figures say about its channel,
// in words, for the Channels view. Validation problems and dead producers are
// reported elsewhere (the reader's report, the merge); these are the quiet failures.
import type { DataBlockRow } from '../../preload/contract.js';

/** A record count standing still this long is worth a word, even on slow channels. */
export const IDLE_NOTICE_MS = 10_000;

export function diagnoseSegment(block: DataBlockRow): string[] {
  const notes: string[] = [];
  if (block.lag !== null && block.capacity !== null && block.lag >= block.capacity) {
    notes.push(
      `the ring of /dev/shm/${block.name} is full: its consumers are ${block.lag} records behind ` +
        `(capacity ${block.capacity}), so a ${block.syncPolicy ?? 'Sequential'} producer waits for them`,
    );
  }
  if (block.alive === true && block.idleMs !== null && block.idleMs >= IDLE_NOTICE_MS) {
    notes.push(
      `no new record in /dev/shm/${block.name} for ${Math.round(block.idleMs / 1000)} s, although its producer is alive`,
    );
  }
  if ((block.checksumFailures ?? 0) > 0) {
    notes.push(`the producer of /dev/shm/${block.name} counts ${block.checksumFailures} checksum failures`);
  }
  return notes;
}
