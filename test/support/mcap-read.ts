// Reading back what a recording holds, for the recording tests (unit and end to end).
import { open } from 'node:fs/promises';
import { McapIndexedReader } from '@mcap/core';
import { FileReadable } from '../../main/record/recording-file.js';

/** The record ids (MCAP sequence numbers) of a recording, in order, CRCs checked. */
export async function recordIdsIn(path: string): Promise<number[]> {
  const file = await open(path, 'r');
  try {
    const reader = await McapIndexedReader.Initialize({ readable: new FileReadable(file) });
    const ids: number[] = [];
    for await (const m of reader.readMessages({ validateCrcs: true })) ids.push(m.sequence);
    return ids;
  } finally {
    await file.close();
  }
}
