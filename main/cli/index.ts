// `hubscope` command-line entry: routes argv to one subcommand module.
// Each subcommand lives in its own file and is registered in COMMANDS below.
import { brokerCommand } from './broker.js';
import { findCommand } from './find.js';
import { UsageError, type CliCommand } from './command.js';
import { demoCommand } from './demo.js';
import { discoveryCommand } from '../discovery/cli-command.js';
import { inspectCommand } from './inspect.js';
import { lsCommand } from './ls.js';
import { serveCommand } from './serve.js';
import { versionCommand } from './version.js';

const COMMANDS: CliCommand[] = [
  brokerCommand,
  demoCommand,
  discoveryCommand,
  findCommand,
  inspectCommand,
  lsCommand,
  serveCommand,
  versionCommand,
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
  if (word === '--version' || word === '-v') return versionCommand.run([]);
  const command = COMMANDS.find((c) => c.name === word);
  if (!command) {
    console.error(`hubscope: unknown command "${word}".\n\n${mainHelp()}`);
    return 2;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    console.log(command.usage);
    return 0;
  }
  try {
    return await command.run(rest);
  } catch (err) {
    if (err instanceof UsageError) {
      console.error(`hubscope ${command.name}: ${err.message}\n\n${command.usage}`);
      return 2;
    }
    console.error(`hubscope ${command.name}: ${(err as Error).message}`);
    return 1;
  }
}
