import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DiscoveryWatcher } from '../../main/discovery/watcher.js';
import { readDiscoveryFile } from '../../main/discovery/read-file.js';
import { descriptorFileName } from '../../main/discovery/names.js';
import type { DiscoveryProblem } from '../../main/discovery/model.js';
import { spawnNodeSync } from '../support/processes.js';
import { useCleanups, sampleDescriptor, waitFor, writeAtomic } from './discovery-helpers.js';

const { cleanups, tempDir } = useCleanups();

async function watching(dir: string, maxFileBytes?: number): Promise<DiscoveryWatcher> {
  const w = new DiscoveryWatcher({ dir, ...(maxFileBytes ? { maxFileBytes } : {}) });
  cleanups.push(() => w.close());
  await w.start();
  return w;
}

const problemOf = (w: DiscoveryWatcher, file: string) => w.problems().find((p) => p.file === file);

describe('bad input in the discovery directory', () => {
  it('reports each kind of bad file with its name and reason, and keeps the good ones', async () => {
    const dir = tempDir('bad');
    const good = descriptorFileName('good');
    writeAtomic(dir, good, sampleDescriptor('good'));
    writeFileSync(join(dir, 'malformed.channel.json'), '{"format": "hubscope.discovery/1", ');
    writeFileSync(
      join(dir, 'fields.channel.json'),
      JSON.stringify({ ...sampleDescriptor('fields'), pid: 'abc', host: undefined }),
    );
    writeFileSync(join(dir, 'huge.channel.json'), ' '.repeat(300 * 1024));
    writeFileSync(join(dir, 'empty.channel.json'), '');
    writeFileSync(join(dir, 'latin1.channel.json'), Buffer.from([0x7b, 0xff, 0xfe, 0x7d]));
    writeFileSync(join(dir, 'mismatch.channel.json'), JSON.stringify(sampleDescriptor('something.else')));
    writeFileSync(join(dir, 'notes.txt'), 'hello');
    writeFileSync(join(dir, '.writer.channel.json.123.abc.tmp'), '{"half');
    symlinkSync('/etc/passwd', join(dir, 'outside.channel.json'));
    const elsewhere = tempDir('elsewhere');
    writeAtomic(elsewhere, 'real.channel.json', sampleDescriptor('linked'));
    symlinkSync(join(elsewhere, 'real.channel.json'), join(dir, 'linked.channel.json'));
    execFileSync('mkfifo', [join(dir, 'fifo.channel.json')]);
    mkdirSync(join(dir, 'subdir.channel.json'));

    const w = await watching(dir);
    expect(w.entries().map((e) => e.channel)).toEqual(['good']);
    const expectations: [string, DiscoveryProblem['code'], RegExp][] = [
      ['malformed.channel.json', 'malformed-json', /malformed JSON: .*half-written/],
      ['fields.channel.json', 'invalid', /invalid channel descriptor: .*"host" is missing.*"pid"/],
      ['huge.channel.json', 'too-large', /307200 bytes, over the 262144-byte limit/],
      ['empty.channel.json', 'empty', /file is empty/],
      ['latin1.channel.json', 'not-utf8', /not UTF-8/],
      [
        'mismatch.channel.json',
        'name-mismatch',
        /file name says channel "mismatch" but the file describes "something.else"/,
      ],
      ['notes.txt', 'unrecognised-name', /not a discovery file name/],
      ['outside.channel.json', 'symlink', /symlink ignored \(points to \/etc\/passwd\)/],
      ['linked.channel.json', 'symlink', /symlink ignored/],
      ['fifo.channel.json', 'not-a-file', /not a regular file/],
    ];
    for (const [file, code, reason] of expectations) {
      const p = problemOf(w, file);
      expect(p, `problem for ${file}`).toBeDefined();
      expect(p?.code, file).toBe(code);
      expect(p?.reason, file).toMatch(reason);
    }
    // temp files of writers and subdirectories are not problems
    expect(
      w
        .problems()
        .map((p) => p.file)
        .sort(),
    ).toEqual(expectations.map((e) => e[0]).sort());
  });

  it('a half-written file is reported, then read again once complete', async () => {
    const dir = tempDir('half');
    const w = await watching(dir);
    const file = descriptorFileName('half');
    const text = JSON.stringify(sampleDescriptor('half'));
    writeFileSync(join(dir, file), text.slice(0, text.length / 2)); // a non-atomic writer, mid-write
    await waitFor('half-written problem', () => problemOf(w, file));
    expect(problemOf(w, file)?.code).toBe('malformed-json');
    writeFileSync(join(dir, file), text);
    await waitFor('complete entry', () => w.entries().find((e) => e.channel === 'half'));
    expect(problemOf(w, file)).toBeUndefined();
  });

  it('a file that becomes bad while watched is dropped and reported; deleting it clears the problem', async () => {
    const dir = tempDir('turn-bad');
    const file = descriptorFileName('x');
    writeAtomic(dir, file, sampleDescriptor('x'));
    const w = await watching(dir, 4096);
    expect(w.entries()).toHaveLength(1);
    writeAtomic(dir, file, JSON.stringify({ ...sampleDescriptor('x'), padding: 'p'.repeat(5000) }));
    await waitFor('too-large problem', () => problemOf(w, file)?.code === 'too-large');
    expect(w.entries()).toHaveLength(0);
    unlinkSync(join(dir, file));
    await waitFor('problem cleared', () => w.problems().length === 0);
  });

  it('files vanishing mid-read never throw and leave nothing behind', async () => {
    const dir = tempDir('vanish');
    const w = await watching(dir);
    const names = Array.from({ length: 300 }, (_, i) => descriptorFileName(`v.${i}`));
    const text = JSON.stringify(sampleDescriptor('v.0'));
    const reads: Promise<unknown>[] = [];
    for (const name of names) {
      writeFileSync(join(dir, name), text);
      reads.push(readDiscoveryFile(dir, name)); // races the unlink below
      unlinkSync(join(dir, name));
    }
    const outcomes = (await Promise.all(reads)) as { kind: string }[];
    for (const o of outcomes) expect(['gone', 'problem', 'channel']).toContain(o.kind);
    await waitFor('watcher settles empty', () => w.entries().length === 0 && w.problems().length === 0);
  });

  it('permission denied is reported with the file mode and owner (read as an unprivileged user)', async () => {
    if (process.getuid?.() !== 0) {
      // Not root: a chmod 000 file is unreadable to us directly.
      const dir = tempDir('perm');
      writeAtomic(dir, 'secret.channel.json', sampleDescriptor('secret'));
      chmodSync(join(dir, 'secret.channel.json'), 0o000);
      const o = await readDiscoveryFile(dir, 'secret.channel.json');
      expect(o.kind === 'problem' && o.code).toBe('permission-denied');
      return;
    }
    // Root reads everything: scan from a child process running as "nobody".
    const dir = tempDir('perm');
    chmodSync(dir, 0o755);
    writeAtomic(dir, 'secret.channel.json', sampleDescriptor('secret'));
    chmodSync(join(dir, 'secret.channel.json'), 0o600);
    writeAtomic(dir, descriptorFileName('open'), sampleDescriptor('open'));
    chmodSync(join(dir, descriptorFileName('open')), 0o644);
    const child = spawnNodeSync(['--import', 'tsx', join(import.meta.dirname, 'discovery-scan-child.ts'), dir], {
      uid: 65534,
      gid: 65534,
      timeout: 20_000,
      env: { ...process.env, HOME: '/tmp', TSX_TSCONFIG_PATH: join(import.meta.dirname, '../../tsconfig.json') },
    });
    expect(child.status, child.stderr).toBe(0);
    const result = JSON.parse(child.stdout) as { entries: string[]; problems: DiscoveryProblem[] };
    expect(result.entries).toEqual(['open']);
    const p = result.problems.find((x) => x.file === 'secret.channel.json');
    expect(p?.code).toBe('permission-denied');
    expect(p?.reason).toMatch(/permission denied: cannot read the file \(mode 0600, owner uid 0\)/);
  });

  it('thousands of bad and good files load with bounded concurrency and every problem listed', async () => {
    const dir = tempDir('many');
    for (let i = 0; i < 1500; i++) writeAtomic(dir, descriptorFileName(`ok.${i}`), sampleDescriptor(`ok.${i}`));
    for (let i = 0; i < 1500; i++) writeFileSync(join(dir, `bad.${i}.channel.json`), `{"broken": ${i}`);
    const w = new DiscoveryWatcher({ dir, concurrency: 8 });
    cleanups.push(() => w.close());
    await w.start();
    expect(w.entries()).toHaveLength(1500);
    expect(w.problems().filter((p) => p.code === 'malformed-json')).toHaveLength(1500);
  });

  it('a missing directory is created; an uncreatable one is a problem, not a crash', async () => {
    const parent = tempDir('missing');
    const w = await watching(join(parent, 'a', 'b'));
    expect(w.problems()).toEqual([]);
    writeFileSync(join(parent, 'file'), 'x');
    const bad = new DiscoveryWatcher({ dir: join(parent, 'file', 'sub'), resyncIntervalMs: 0 });
    cleanups.push(() => bad.close());
    await bad.start();
    expect(bad.problems()[0]?.file).toBe('.');
    expect(bad.problems()[0]?.reason).toMatch(/discovery directory/);
  });
});
