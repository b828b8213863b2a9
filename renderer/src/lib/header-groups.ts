// The header's fields grouped the way a person reads them, with the few values
// that need words (the magic, the era) said in words.
import type { Json } from '../../../preload/contract.js';

export const HEADER_GROUPS = ['Identity', 'Configuration', 'Counters', 'Errors', 'Other'] as const;
export type HeaderGroup = (typeof HEADER_GROUPS)[number];

const IDENTITY =
  /^(magic|version|hub|producer|creation|schemaVersion|slotSchemaHash|flexzoneSchemaHash|headerLayoutHash|layoutChecksum)/;
const CONFIG =
  /^(totalBlockSize|policy|consumerSyncPolicy|physical|logical|ringBufferCapacity|flexibleZoneSize|checksum|flexZoneChecksum)/;
const ERRORS = /(error|Error|failure|Failure|timeout|Timeout|overrun|Overrun|corrupt)/;
const COUNTERS = /^(writeIndex|commitIndex|readIndex|activeConsumerCount|total|uptime)/;

export function groupOf(key: string): HeaderGroup {
  if (ERRORS.test(key)) return 'Errors';
  if (IDENTITY.test(key)) return 'Identity';
  if (CONFIG.test(key)) return 'Configuration';
  if (COUNTERS.test(key)) return 'Counters';
  return 'Other';
}

export function groupHeader(header: Record<string, Json>): [HeaderGroup, [string, Json][]][] {
  const groups = new Map<HeaderGroup, [string, Json][]>(HEADER_GROUPS.map((g) => [g, []]));
  for (const entry of Object.entries(header)) groups.get(groupOf(entry[0]))?.push(entry);
  return HEADER_GROUPS.map((g) => [g, groups.get(g) ?? []] as [HeaderGroup, [string, Json][]]).filter(
    ([, list]) => list.length > 0,
  );
}

/** The magic as its four letters: 0x504C4842 reads "PLHB" from its high byte down (the spec names it so). */
export function magicText(value: Json): string {
  if (typeof value !== 'number') return String(value);
  const letters = [24, 16, 8, 0].map((s) => String.fromCharCode((value >>> s) & 0xff)).join('');
  const hex = `0x${value.toString(16).toUpperCase().padStart(8, '0')}`;
  return /^[\x20-\x7e]{4}$/.test(letters) ? `${letters} (${hex})` : hex;
}

/** What the era of a header layout means, in words. */
export function eraText(era: string): string {
  if (era === 'unknown')
    return 'header layout era unknown: a layout hash HubScope has not seen; fields are read as the newest layout';
  return `header layout of ${era.replace(' (newest)', '')}${era.includes('newest') ? ', the current one' : ', an older one that HubScope still reads'}`;
}
