// A segment named by a client of the contract (datablock.inspect, live.open): only
// ever a segment name, never a path, and the contract's error codes for it. One
// place, so every request that opens a segment answers a bad name the same way.
import { ApiError } from '../../preload/contract.js';
import { resolveShmName } from '../datablock/names.js';
import { openAttachedSegment } from './attached-segments.js';
import { DataBlockError, openSharedMemorySegment, type DataBlockReader } from '../datablock/reader.js';

/** Opens `name` passively; BAD_REQUEST for a name that is not a segment name, NOT_FOUND when it cannot be opened. */
export function openClientSegment(name: string): DataBlockReader {
  // A memfd DataBlock handed over to this app (pylabhub "Attach as consumer") has no file in /dev/shm.
  const attached = openAttachedSegment(name);
  if (attached) return attached;
  try {
    resolveShmName(name);
  } catch (err) {
    throw new ApiError('BAD_REQUEST', (err as Error).message);
  }
  try {
    return openSharedMemorySegment(name);
  } catch (err) {
    if (err instanceof DataBlockError) throw new ApiError('NOT_FOUND', err.message);
    throw err;
  }
}
