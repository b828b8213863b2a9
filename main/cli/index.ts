// `hubscope` command-line entry: routes argv to one subcommand module.
// Subcommands are imported only when run, so `hubscope --help` and `hubscope
// version` answer without loading ZeroMQ, the discovery watcher or the native addon.
import { UsageError, type CliCommand } from './command.js';

interface CommandEntry {
  name: string;
  /** One line for `hubscope --help` (the module's own `summary`; a test keeps them equal). */
  summary: string;
  load(): Promise<CliCommand>;
}

export const COMMANDS: readonly CommandEntry[] = [
  {
    name: 'broker',
    summary: 'Run the MessageHub broker (standalone, no server needed)',
    load: async () => (await import('./broker.js')).brokerCommand,
  },
  {
    name: 'clean',
    summary: 'List (or remove with --yes) segments and files left by dead processes',
    load: async () => (await import('./clean.js')).cleanCommand,
  },
  {
    name: 'demo',
    summary: 'Run demo producers that write live DataBlocks',
    load: async () => (await import('./demo.js')).demoCommand,
  },
  {
    name: 'discovery',
    summary: 'List (or watch) the channels, brokers and problems of the discovery directory',
    load: async () => (await import('../discovery/cli-command.js')).discoveryCommand,
  },
  {
    name: 'find',
    summary: 'Find a channel through the broker, or the discovery files when it is down',
    load: async () => (await import('./find.js')).findCommand,
  },
  {
    name: 'inspect',
    summary: 'Show one DataBlock: header, validation, liveness, latest records',
    load: async () => (await import('./inspect.js')).inspectCommand,
  },
  {
    name: 'keys',
    summary: 'Make CURVE key pairs and show key fingerprints (MessageHub security)',
    load: async () => (await import('./keys.js')).keysCommand,
  },
  {
    name: 'ls',
    summary: 'List the DataBlocks on this machine',
    load: async () => (await import('./ls.js')).lsCommand,
  },
  {
    name: 'pylabhub',
    summary: 'List the channels of a pylabhub hub (plh_hub) as a monitor',
    load: async () => (await import('./pylabhub.js')).pylabhubCommand,
  },
  {
    name: 'record',
    summary: 'Record DataBlock channels into an MCAP file',
    load: async () => (await import('./record.js')).recordCommand,
  },
  {
    name: 'replay',
    summary: 'Replay an MCAP recording into DataBlocks',
    load: async () => (await import('./replay.js')).replayCommand,
  },
  {
    name: 'serve',
    summary: 'Run HubScope headless and serve the UI to a browser',
    load: async () => (await import('./serve.js')).serveCommand,
  },
  {
    name: 'trace',
    summary: "Follow a broker's message trace live",
    load: async () => (await import('./trace.js')).traceCommand,
  },
  {
    name: 'version',
    summary: 'Print the HubScope version',
    load: async () => (await import('./version.js')).versionCommand,
  },
  {
    name: 'watch',
    summary: 'Watch headless and report alerts (run a command or post a webhook on each)',
    load: async () => (await import('./watch.js')).watchCommand,
  },
];

function mainHelp(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  const rows = COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`).join('\n');
  return `Usage: hubscope <command> [options]\n\nCommands:\n${rows}\n\nRun \`hubscope <command> --help\` for a command's options.`;
}

export async function runCli(argv: string[]): Promise<number> {
  const [word, ...rest] = argv;
  if (word === undefined || word === '--help' || word === '-h' || word === 'help') {
    console.log(mainHelp());
    return word === undefined ? 1 : 0;
  }
  const entry = COMMANDS.find((c) => c.name === (word === '--version' || word === '-v' ? 'version' : word));
  if (!entry) {
    console.error(`hubscope: unknown command "${word}".\n\n${mainHelp()}`);
    return 2;
  }
  const command = await entry.load();
  if (rest.includes('--help') || rest.includes('-h')) {
    console.log(command.usage);
    return 0;
  }
  try {
    return await command.run(word === entry.name ? rest : []);
  } catch (err) {
    if (err instanceof UsageError) {
      console.error(`hubscope ${command.name}: ${err.message}\n\n${command.usage}`);
      return 2;
    }
    console.error(`hubscope ${command.name}: ${(err as Error).message}`);
    return 1;
  }
}
