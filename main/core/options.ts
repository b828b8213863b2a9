// The options every shell shares (desktop and `hubscope serve`): which broker,
// which discovery directory. Parsed once here so both shells accept the same flags.
import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { chooseDiscoveryDir, type DiscoveryDirChoice } from '../discovery/directory.js';
import { defaultRecordingsDir } from '../record/recordings-dir.js';
import { UsageError } from '../shared/command-line.js';
import {
  PYLABHUB_OPTION_SPECS,
  PYLABHUB_OPTIONS_HELP,
  pylabhubOptionsFrom,
  type PylabhubHubChoice,
  type PylabhubOptionValues,
} from './pylabhub-options.js';

export const DEFAULT_BROKER_ENDPOINT = 'tcp://127.0.0.1:5570';

export type BrokerChoice =
  { mode: 'embedded'; endpoint: string } | { mode: 'remote'; endpoint: string } | { mode: 'off' };

export interface ServiceOptions {
  broker: BrokerChoice;
  discovery: (DiscoveryDirChoice & { pollIntervalMs: number | null }) | null;
  /** How often segments are listed and their statistics sampled. */
  sampleIntervalMs: number;
  /** Folders (absolute) the UI may read schema files from, besides the discovery directory and demo schemas. */
  schemaDirs?: string[];
  /** pylabhub hubs to monitor (--pylabhub); none when absent. */
  pylabhub?: PylabhubHubChoice[];
  /** Where the Record button writes (--recordings-dir); absent: defaultRecordingsDir() (docs/recording.md). */
  recordingsDir?: string;
}

export const SERVICE_OPTIONS_HELP = `Service options (the desktop app accepts them too, after \`npm start --\`):
  --broker WHERE         "embedded" (default: start a broker in this process),
                         "off", or the endpoint of a running broker (tcp://host:port, ipc://path).
  --broker-endpoint E    Where the embedded broker binds (default ${DEFAULT_BROKER_ENDPOINT}).
                         When a broker already answers there, that broker is used;
                         when something else holds the port, a free port is used.
  --discovery-dir DIR    Discovery directory (default: $HUBSCOPE_DISCOVERY_DIR, else
                         $XDG_RUNTIME_DIR/hubscope/discovery, else ~/.hubscope/discovery).
  --no-discovery         Do not watch a discovery directory.
  --discovery-poll MS    Poll the directory every MS ms instead of using file-system events
                         (for NFS/SMB shares).
  --schema-dir DIR       A folder the inspector may read schema files from (repeatable); the
                         discovery directory and the demo schemas are always allowed.
  --recordings-dir DIR   Where the app's Record button writes MCAP files (default:
                         $XDG_DATA_HOME/hubscope/recordings, else ~/.local/share/hubscope/recordings).
${PYLABHUB_OPTIONS_HELP}`;

export const SERVICE_OPTION_SPECS = {
  broker: { type: 'string' },
  'broker-endpoint': { type: 'string' },
  'discovery-dir': { type: 'string' },
  'no-discovery': { type: 'boolean', default: false },
  'discovery-poll': { type: 'string' },
  'schema-dir': { type: 'string', multiple: true },
  'recordings-dir': { type: 'string' },
  ...PYLABHUB_OPTION_SPECS,
} as const;

export interface ServiceOptionValues extends PylabhubOptionValues {
  broker?: string | undefined;
  'broker-endpoint'?: string | undefined;
  'discovery-dir'?: string | undefined;
  'no-discovery'?: boolean | undefined;
  'discovery-poll'?: string | undefined;
  'schema-dir'?: string[] | undefined;
  'recordings-dir'?: string | undefined;
}

const ENDPOINT = /^(tcp:\/\/[^\s/]+:\d{1,5}|ipc:\/\/\S+)$/;

function checkEndpoint(value: string, option: string): string {
  if (!ENDPOINT.test(value)) {
    throw new UsageError(`${option} must be tcp://host:port or ipc://path, not "${value}".`);
  }
  return value;
}

export function serviceOptionsFrom(values: ServiceOptionValues, env: NodeJS.ProcessEnv = process.env): ServiceOptions {
  const brokerWord = values.broker ?? env.HUBSCOPE_BROKER ?? 'embedded';
  let broker: BrokerChoice;
  if (brokerWord === 'off') broker = { mode: 'off' };
  else if (brokerWord === 'embedded') {
    broker = {
      mode: 'embedded',
      endpoint: checkEndpoint(values['broker-endpoint'] ?? DEFAULT_BROKER_ENDPOINT, '--broker-endpoint'),
    };
  } else broker = { mode: 'remote', endpoint: checkEndpoint(brokerWord, '--broker') };

  let pollIntervalMs: number | null = null;
  if (values['discovery-poll'] !== undefined) {
    const text = values['discovery-poll'];
    pollIntervalMs = Number(text);
    if (!/^\d+$/.test(text) || pollIntervalMs < 50 || pollIntervalMs > 600_000) {
      throw new UsageError(`--discovery-poll must be a number of milliseconds from 50 to 600000, not "${text}".`);
    }
  }
  const discovery = values['no-discovery']
    ? null
    : { ...chooseDiscoveryDir(values['discovery-dir'], env), pollIntervalMs };
  const schemaDirs = (values['schema-dir'] ?? []).map((dir) => {
    if (!isDirectory(dir)) throw new UsageError(`--schema-dir ${dir} is not a directory.`);
    return resolve(dir);
  });
  const pylabhub = pylabhubOptionsFrom(values, env);
  const recordingsDir = values['recordings-dir'];
  if (recordingsDir !== undefined && (recordingsDir === '' || existsNotDirectory(recordingsDir))) {
    throw new UsageError(`--recordings-dir ${recordingsDir} is not a directory.`);
  }
  return {
    broker,
    discovery,
    sampleIntervalMs: 1000,
    schemaDirs,
    ...(pylabhub.length ? { pylabhub } : {}),
    recordingsDir: recordingsDir !== undefined ? resolve(recordingsDir) : defaultRecordingsDir(env),
  };
}

/** Something other than a directory is there (a folder that does not exist yet is made on the first recording). */
function existsNotDirectory(path: string): boolean {
  try {
    return !statSync(path).isDirectory();
  } catch {
    return false;
  }
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/** Parses only the service options out of argv (used by the desktop shell). */
export function parseServiceArgs(argv: string[]): ServiceOptions {
  const { values } = parseArgs({ args: argv, options: SERVICE_OPTION_SPECS, strict: false, allowPositionals: true });
  return serviceOptionsFrom(values as ServiceOptionValues);
}
