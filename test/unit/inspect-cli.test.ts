// `hubscope inspect` as a real child process: names resolve as its help says,
// a file that is not a DataBlock gets one clear error, and records decode with
// the channel's discovery schema and the UI's number formatting.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createDataBlock } from '../../main/datablock/writer.js';
import { formatNumber } from '../../common/number-format.js';
import { publishDescriptor } from '../../main/discovery/publish.js';
import { VECTOR_SCHEMA, uniqueName, unlinkQuietly } from './datablock-helpers.js';
import { sampleInput } from './discovery-helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'hubscope-inspect-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function cli(...args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'test/support/cli-from-source.ts', ...args], {
    encoding: 'utf8',
    timeout: 30_000,
    env: { ...process.env, HUBSCOPE_DISCOVERY_DIR: join(dir, 'no-such-discovery-dir') },
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('hubscope inspect on things that are not DataBlocks', () => {
  it('/etc/passwd: one clear error, no header fields, non-zero exit', () => {
    const r = cli('inspect', '/etc/passwd');
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr.trim()).toMatch(/^hubscope inspect: \/etc\/passwd is not a DataBlock: /);
    expect(r.stderr).not.toContain('root');
    expect(r.stderr).not.toContain('pid');
  });

  it('a header-sized file without the magic says "no PLHB magic" and shows none of it', () => {
    const path = join(dir, 'notes.bin');
    writeFileSync(path, 'secret-notes '.repeat(1000));
    const r = cli('inspect', path);
    expect(r.code).toBe(1);
    expect(r.stderr.trim()).toBe(
      `hubscope inspect: ${path} is not a DataBlock: no PLHB magic (not a DataBlock, or one still being created)`,
    );
    const j = cli('inspect', path, '--json');
    expect(j.code).toBe(1);
    expect(j.stdout).not.toContain('secret-notes');
  });

  it('a name without "/" is a segment name, never a file in the current directory', () => {
    const r = cli('inspect', 'README.md');
    expect(r.code).toBe(1);
    expect(r.stderr.trim()).toBe('hubscope inspect: cannot open DataBlock README.md: No such file or directory');
    // With a "/" (or --file) it is a file, and README.md is not a DataBlock.
    expect(cli('inspect', './README.md').stderr).toContain('./README.md is not a DataBlock: no PLHB magic');
    expect(cli('inspect', 'README.md', '--file').stderr).toContain('README.md is not a DataBlock: no PLHB magic');
  });
});

describe('hubscope inspect decodes like the UI', () => {
  it('uses the schema of the discovery file and shows float64 values as the UI does', async () => {
    const name = uniqueName('inspect-ts');
    const discovery = join(dir, 'discovery');
    mkdirSync(discovery, { recursive: true });
    const w = createDataBlock(name, { schema: VECTOR_SCHEMA, capacity: 4 });
    const handle = publishDescriptor(
      discovery,
      sampleInput(`test.inspect.${process.pid}`, {
        shmName: `/${name}`,
        schema: { definition: VECTOR_SCHEMA },
      }),
    );
    try {
      const values = [1796159812.481, 1796159812.581];
      values.forEach((value, i) => w.write({ seq: BigInt(i), value, flags: i }));
      const r = cli('inspect', name, '--discovery-dir', discovery);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      expect(r.stdout).toContain('decoded by: test.vector v1 from discovery file');
      for (const v of values) expect(r.stdout).toContain(`value = ${formatNumber(v)}`);
      expect(r.stdout).toContain('value = 1796159812.481');
      expect(r.stdout).toContain('value = 1796159812.581');
      const j = JSON.parse(cli('inspect', name, '--json', '--discovery-dir', discovery).stdout);
      expect(j.schema).toMatchObject({ id: 'test.vector', source: expect.stringContaining('discovery file') });
      expect(j.records[0].fields).toMatchObject({ value: 1796159812.581 });
      // --no-discovery: raw bytes only.
      expect(cli('inspect', name, '--no-discovery', '--discovery-dir', discovery).stdout).not.toContain('value =');
    } finally {
      await handle.remove();
      w.close();
      unlinkQuietly(name);
    }
  });
});
