// `hubscope ls`: the DataBlocks on this machine.
import { toJson } from '../datablock/json.js';
import { listDataBlocks } from '../datablock/list.js';
import { parseCliArgs, type CliCommand } from './command.js';

const USAGE = `Usage: hubscope ls [--json]

Lists the DataBlocks (PLHB shared-memory segments in /dev/shm) on this machine
with size, capacity, slot stride, records written, producer pid and liveness.

  --json      Print a JSON array instead of a table.
  -h, --help  Show this help.`;

function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(n % 1024 ? 1 : 0)} KiB`;
  if (n < 1024 ** 3) return `${(n / 1024 ** 2).toFixed(1)} MiB`;
  return `${(n / 1024 ** 3).toFixed(1)} GiB`;
}

export const lsCommand: CliCommand = {
  name: 'ls',
  summary: 'List the DataBlocks on this machine',
  usage: USAGE,
  async run(args) {
    const {
      values: { json },
    } = parseCliArgs({ args, options: { json: { type: 'boolean', default: false } } });
    const list = listDataBlocks();
    if (json) {
      console.log(JSON.stringify(toJson(list), null, 2));
      return 0;
    }
    if (list.length === 0) {
      console.log('No DataBlocks found in /dev/shm.');
      return 0;
    }
    const rows = list.map((d) => [
      d.name,
      formatBytes(d.size),
      d.capacity === null ? '-' : String(d.capacity),
      d.stride === null ? '-' : formatBytes(d.stride),
      d.recordsWritten === null ? '-' : String(d.recordsWritten),
      d.producerPid === null ? '-' : String(d.producerPid),
      d.valid ? (d.liveness ?? '-') : `INVALID: ${d.problems[0] ?? ''}`,
    ]);
    const head = ['NAME', 'SIZE', 'SLOTS', 'STRIDE', 'WRITTEN', 'PID', 'LIVENESS'];
    const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
    const line = (r: string[]): string =>
      r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i] ?? 0))).join('  ');
    console.log([line(head), ...rows.map(line)].join('\n'));
    return 0;
  },
};
