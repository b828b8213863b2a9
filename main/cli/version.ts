import { VERSION } from '../version.js';
import type { CliCommand } from './command.js';

export const versionCommand: CliCommand = {
  name: 'version',
  summary: 'Print the HubScope version',
  usage: 'Usage: hubscope version [--json]\n\nPrints the HubScope version (and the native addon version with --json).',
  async run(args) {
    if (args.includes('--json')) {
      const { native } = await import('../native/binding.js');
      console.log(JSON.stringify({ version: VERSION, native: native().version(), node: process.versions.node }));
    } else {
      console.log(VERSION);
    }
    return 0;
  },
};
