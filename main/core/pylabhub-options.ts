// The pylabhub options of `serve` and the desktop app (docs/pylabhub.md, "In the app"):
// which hubs to monitor and with which keys. Checked here, before anything starts, so
// a wrong path or a file that is not a key is a UsageError naming the option.
import { existsSync } from 'node:fs';
import { hostname, networkInterfaces } from 'node:os';
import { resolve } from 'node:path';
import { clientKeyPath, readKeyFile } from '../keys/index.js';
import { readHubPublicKey } from '../pylabhub/key-files.js';
import { UsageError } from '../shared/command-line.js';

/** One hub to monitor, with the two key files it needs. */
export interface PylabhubHubChoice {
  endpoint: string;
  /** The hub's public key file (hub.pubkey: 40 Z85 characters on line 1). */
  hubKeyFile: string;
  /** HubScope's key file (main/keys format): its public key is the one on the hub's allow-list. */
  keyFile: string;
  /** The default key file did not exist yet: make it on start (this user's client key). */
  createKey: boolean;
}

export const PYLABHUB_OPTIONS_HELP = `  --pylabhub HUB         Monitor a pylabhub hub (plh_hub), repeatable: its broker endpoint,
                         optionally with its key files:
                           tcp://host:5570[,hub-key=FILE][,key=FILE]
  --pylabhub-hub-key F   The hub's public key file (hub.pubkey), for the --pylabhub hubs that
                         name no hub-key=, in the order given (one file per such hub).
  --pylabhub-key FILE    HubScope's key file for every hub without key= (default: this user's
                         client key, made on first use). Its public key must be on the hub's
                         allow-list; the Broker view prints the plh_hub command that adds it.`;

export const PYLABHUB_OPTION_SPECS = {
  pylabhub: { type: 'string', multiple: true },
  'pylabhub-hub-key': { type: 'string', multiple: true },
  'pylabhub-key': { type: 'string' },
} as const;

export interface PylabhubOptionValues {
  pylabhub?: string[] | undefined;
  'pylabhub-hub-key'?: string[] | undefined;
  'pylabhub-key'?: string | undefined;
}

const ENDPOINT = /^(tcp:\/\/[^\s/,]+:\d{1,5}|ipc:\/\/[^\s,]+)$/;

interface Parsed {
  endpoint: string;
  hubKey?: string;
  key?: string;
}

function parseHub(text: string): Parsed {
  const [endpoint = '', ...extras] = text.split(',');
  if (!ENDPOINT.test(endpoint)) {
    throw new UsageError(
      `--pylabhub must be tcp://host:port or ipc://path, optionally followed by ,hub-key=FILE and ,key=FILE; not "${text}".`,
    );
  }
  const port = /:(\d+)$/.exec(endpoint)?.[1];
  if (endpoint.startsWith('tcp://') && (Number(port) < 1 || Number(port) > 65535)) {
    throw new UsageError(`--pylabhub ${endpoint}: the port must be from 1 to 65535.`);
  }
  const parsed: Parsed = { endpoint };
  for (const extra of extras) {
    const m = /^(hub-key|key)=(.+)$/.exec(extra);
    if (!m) {
      throw new UsageError(`--pylabhub ${endpoint}: "${extra}" is not hub-key=FILE or key=FILE.`);
    }
    const field = m[1] === 'hub-key' ? 'hubKey' : 'key';
    if (parsed[field] !== undefined) throw new UsageError(`--pylabhub ${endpoint}: ${m[1]}= is given twice.`);
    parsed[field] = m[2]!;
  }
  return parsed;
}

/** A hub.pubkey: line 1 holds the 40-character Z85 key (the file has no newline). */
function checkHubKeyFile(path: string, option: string): string {
  try {
    readHubPublicKey(path);
  } catch (err) {
    throw new UsageError(`${option}: ${(err as Error).message}.`);
  }
  return resolve(path);
}

function checkKeyFile(path: string, option: string): string {
  try {
    readKeyFile(path);
  } catch (err) {
    throw new UsageError(`${option}: ${(err as Error).message}.`);
  }
  return resolve(path);
}

export function pylabhubOptionsFrom(
  values: PylabhubOptionValues,
  env: NodeJS.ProcessEnv = process.env,
): PylabhubHubChoice[] {
  const hubs = (values.pylabhub ?? []).map(parseHub);
  const hubKeys = [...(values['pylabhub-hub-key'] ?? [])];
  if (hubs.length === 0) {
    if (hubKeys.length > 0) throw new UsageError('--pylabhub-hub-key needs a --pylabhub hub to go with.');
    if (values['pylabhub-key'] !== undefined) throw new UsageError('--pylabhub-key needs a --pylabhub hub to go with.');
    return [];
  }
  const seen = new Set<string>();
  for (const h of hubs) {
    if (seen.has(h.endpoint)) throw new UsageError(`--pylabhub ${h.endpoint} is given twice.`);
    seen.add(h.endpoint);
  }
  // Pairing by position: the hubs without hub-key= take the --pylabhub-hub-key files in order.
  const needing = hubs.filter((h) => h.hubKey === undefined);
  if (hubKeys.length !== needing.length) {
    throw new UsageError(
      needing.length === 0
        ? `every --pylabhub hub names its hub-key=, so --pylabhub-hub-key is not needed (${hubKeys.length} given).`
        : `${needing.length} --pylabhub hub(s) without hub-key= (${needing.map((h) => h.endpoint).join(', ')}) need as many --pylabhub-hub-key files, in the same order; ${hubKeys.length} given.`,
    );
  }
  const defaultKey = clientKeyPath(env);
  const commonKey = values['pylabhub-key'];
  const common =
    commonKey !== undefined
      ? { keyFile: checkKeyFile(commonKey, '--pylabhub-key'), createKey: false }
      : existsSync(defaultKey)
        ? { keyFile: checkKeyFile(defaultKey, `--pylabhub-key (default ${defaultKey})`), createKey: false }
        : { keyFile: defaultKey, createKey: true };
  return hubs.map((h) => {
    const hubKeyFile =
      h.hubKey !== undefined
        ? checkHubKeyFile(h.hubKey, `--pylabhub ${h.endpoint} hub-key=`)
        : checkHubKeyFile(hubKeys.shift()!, '--pylabhub-hub-key');
    const own =
      h.key !== undefined
        ? { keyFile: checkKeyFile(h.key, `--pylabhub ${h.endpoint} key=`), createKey: false }
        : common;
    return { endpoint: h.endpoint, hubKeyFile, ...own };
  });
}

/** Whether `endpoint` names this host: ipc, loopback, this host's name or one of its addresses. */
export function isLocalEndpoint(endpoint: string): boolean {
  if (endpoint.startsWith('ipc://')) return true;
  const host = /^tcp:\/\/\[?([^\]]*?)\]?:\d+$/.exec(endpoint)?.[1]?.toLowerCase();
  if (!host) return false;
  if (host === 'localhost' || host === '*' || host === '::1' || /^127\./.test(host)) return true;
  if (host === hostname().toLowerCase()) return true;
  return Object.values(networkInterfaces()).some((list) => (list ?? []).some((i) => i.address.toLowerCase() === host));
}
