// Values from the DataBlock spec that many tests share. The spec's example slot
// schema (section 6) is also the test vector's schema (section 7).
import type { StructSchema } from '../../main/datablock/schema.js';
import type { DataBlockConfigT } from '../../main/protocol/messages.js';

/** `{seq u64, value f64, flags u32}`, aligned: 24 bytes, stride 64. */
export const SPEC_SLOT: StructSchema = {
  packing: 'aligned',
  fields: [
    { name: 'seq', type: 'uint64' },
    { name: 'value', type: 'float64' },
    { name: 'flags', type: 'uint32' },
  ],
};

/** Fingerprint of SPEC_SLOT, as printed in spec section 6. */
export const SPEC_SLOT_FINGERPRINT = 'f589d7f1a72cdfef9ae5b5b1b4dab355810f49c07835ca71dc68873df91f0bcb';

/** A small ring for tests where the DataBlock configuration is not the subject. */
export const SMALL_RING: Required<DataBlockConfigT> = {
  policy: 'RingBuffer',
  syncPolicy: 'Latest_only',
  capacity: 4,
  pageSize: 4096,
  slotSize: 64,
  flexZoneSize: 0,
  checksumPolicy: 'None',
};
