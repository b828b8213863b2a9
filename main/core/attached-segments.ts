// Segments HubScope holds by file descriptor instead of by name in /dev/shm: the
// memfd DataBlocks pylabhub producers hand over after the user attached to a channel
// as a consumer (pylabhub-link.ts). They are named `memfd:<channel>` over the
// contract, and the inspector and the live views open them through
// openClientSegment like any segment; only names held here resolve this way.
import type { DataBlockReader } from '../datablock/reader.js';

export const ATTACHED_PREFIX = 'memfd:';

const held = new Map<string, () => DataBlockReader>();

/** Makes `name` openable until the returned release is called. Refuses a name already held. */
export function holdAttachedSegment(name: string, open: () => DataBlockReader): () => void {
  if (held.has(name)) throw new Error(`${name} is already attached (from another hub?); detach it first`);
  held.set(name, open);
  return () => {
    if (held.get(name) === open) held.delete(name);
  };
}

/** A fresh reader of an attached segment, or undefined when `name` is not one. */
export function openAttachedSegment(name: string): DataBlockReader | undefined {
  return name.startsWith(ATTACHED_PREFIX) ? held.get(name)?.() : undefined;
}
