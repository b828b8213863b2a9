// `hubscope clean`: lists what dead producers and brokers left behind (segments,
// descriptor files, broker endpoint files); --yes removes them. Never anything
// whose owner may be alive.
import { formatAge } from '../datablock/liveness.js';
import { describeOwner } from '../cleanup/file-owner.js';
import { findOrphans, type Orphan } from '../cleanup/orphans.js';
import { removeOrphan, type Removal } from '../cleanup/remove.js';
import { chooseDiscoveryDir } from '../discovery/directory.js';
import { parseCliArgs, type CliCommand } from './command.js';

const USAGE = `Usage: hubscope clean [prefix...] [--yes] [--discovery-dir DIR | --no-discovery] [--json]

Lists orphans: DataBlock segments whose producer is dead and that no live
consumer holds, descriptor files of dead producers and endpoint files of dead
brokers, with their size and age. Nothing is removed without --yes. Never
listed: anything whose owner may be alive (its pid exists, a recent heartbeat,
another host, a header that cannot be read). A file this user may not remove is
reported with its owner and mode, not as a failure.

  prefix...            Only orphans whose name (segment or file name) begins with one of these.
  --yes                Remove the orphans listed.
  --discovery-dir DIR  Discovery directory to look in (default as for \`hubscope serve\`).
  --no-discovery       Look at segments only.
  --json               One JSON object: { orphans } or { removals }.
  -h, --help           Show this help.`;

function sizeText(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

function orphanJson(o: Orphan): Record<string, unknown> {
  return {
    kind: o.kind,
    name: o.name,
    path: o.path,
    size: o.size,
    ageMs: Math.round(o.ageMs),
    reason: o.reason,
    owner: o.owner,
    blocker: o.blocker,
  };
}

function orphanLine(o: Orphan): string {
  const blocked = o.blocker ? `\n    cannot remove: ${o.blocker}; ${describeOwner(o.owner)}` : '';
  return `${o.kind.padEnd(15)} ${o.name}  ${sizeText(o.size)}, ${formatAge(o.ageMs)} old: ${o.reason}${blocked}`;
}

export const cleanCommand: CliCommand = {
  name: 'clean',
  summary: 'List (or remove with --yes) segments and files left by dead processes',
  usage: USAGE,
  async run(args) {
    const { values, positionals } = parseCliArgs({
      args,
      allowPositionals: true,
      options: {
        yes: { type: 'boolean', default: false },
        'discovery-dir': { type: 'string' },
        'no-discovery': { type: 'boolean', default: false },
        json: { type: 'boolean', default: false },
      },
    });
    const discoveryDir = values['no-discovery'] ? null : chooseDiscoveryDir(values['discovery-dir']).dir;
    const orphans = (await findOrphans({ discoveryDir })).filter(
      (o) =>
        positionals.length === 0 || positionals.some((p) => o.name.replace(/^\//, '').startsWith(p.replace(/^\//, ''))),
    );
    if (!values.yes) {
      if (values.json) console.log(JSON.stringify({ orphans: orphans.map(orphanJson) }));
      else if (orphans.length === 0) console.log('no orphans');
      else {
        for (const o of orphans) console.log(orphanLine(o));
        console.log(`${orphans.length} orphan(s); run \`hubscope clean --yes\` to remove them`);
      }
      return 0;
    }
    const removals: Removal[] = orphans.map(removeOrphan);
    if (values.json) {
      console.log(
        JSON.stringify({
          removals: removals.map((r) => ({ ...orphanJson(r.orphan), outcome: r.outcome, detail: r.detail })),
        }),
      );
    } else if (removals.length === 0) console.log('no orphans');
    else
      for (const r of removals) console.log(`${r.outcome.padEnd(13)} ${r.orphan.kind} ${r.orphan.name}: ${r.detail}`);
    return removals.some((r) => r.outcome === 'failed') ? 1 : 0;
  },
};
