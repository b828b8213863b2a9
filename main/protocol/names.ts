// Naming rules of protocol v1. The patterns are embedded in the TypeBox message
// definitions (so the JSON Schema files carry them) and usable on their own.

/**
 * Channel names: dot-separated segments, each starting with a letter or digit and
 * continuing with letters, digits, `_` or `-`; 1 to 128 characters in total.
 * Examples: `lab.demo.counter`, `sensor_data`, `rig-2.cam0.frames`.
 * Why: names double as shm names and file names in the field, so no `/`, spaces or
 * leading dots; dots give a hierarchy that prefix filters can use.
 */
export const CHANNEL_NAME_PATTERN = '^[A-Za-z0-9][A-Za-z0-9_-]*(\\.[A-Za-z0-9][A-Za-z0-9_-]*)*$';
export const CHANNEL_NAME_MAX = 128;

/** POSIX shm names as seen in the field: an optional leading `/`, then no further `/` (e.g. `/pylabhub_sensor_data`). */
export const SHM_NAME_PATTERN = '^/?[A-Za-z0-9._-]+$';
export const SHM_NAME_MAX = 255;

/** Lower-case hex BLAKE2b-256 schema fingerprint (docs/datablock-format.md, "Schemas, BLDS and fingerprints"). */
export const FINGERPRINT_PATTERN = '^[0-9a-f]{64}$';

/**
 * Correlation ids: 1 to 128 printable ASCII characters without spaces (a UUID, 36
 * characters, fits with room for a prefix). Empty on notifications.
 */
export const CORRELATION_ID_MAX = 128;
export const CORRELATION_ID_PATTERN = /^[!-~]{1,128}$/;

const channelRe = new RegExp(CHANNEL_NAME_PATTERN);

/** Why `name` is not a valid channel name, or undefined when it is. */
export function channelNameProblem(name: string): string | undefined {
  if (name.length === 0) return 'a channel name must not be empty';
  if (name.length > CHANNEL_NAME_MAX)
    return `channel name is ${name.length} characters; the limit is ${CHANNEL_NAME_MAX}`;
  if (!channelRe.test(name)) {
    return `channel name ${JSON.stringify(name)} breaks the naming rule: dot-separated segments of letters, digits, "_" and "-", each starting with a letter or digit`;
  }
  return undefined;
}

export function isValidChannelName(name: string): boolean {
  return channelNameProblem(name) === undefined;
}
