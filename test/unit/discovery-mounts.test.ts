import { realpathSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isNetworkFsType, judgeMount, mountFor, mountVerdictFor, parseMountInfo } from '../../main/discovery/mounts.js';
import { makeTempDir, removeDir } from './discovery-helpers.js';

// Lines in the format of proc(5) mountinfo, as seen on a lab workstation.
const MOUNTINFO = [
  '22 1 253:0 / / rw,relatime shared:1 - ext4 /dev/vda rw',
  '25 22 0:21 / /dev/shm rw,nosuid,nodev shared:4 - tmpfs tmpfs rw',
  '40 22 0:35 / /mnt/lab rw,relatime shared:20 - nfs4 fileserver:/export/lab rw,vers=4.2',
  '41 40 0:36 / /mnt/lab/scratch rw,relatime shared:21 - ext4 /dev/vdb rw',
  '42 22 0:37 / /mnt/my\\040share rw,relatime - cifs //nas/share rw',
  '43 22 0:38 / /home/me/remote rw - fuse.sshfs me@host:/data rw',
  'garbage line without separator',
].join('\n');

describe('network mount detection', () => {
  const mounts = parseMountInfo(MOUNTINFO);

  it('parses mount points (with octal escapes) and filesystem types, skipping malformed lines', () => {
    expect(mounts).toHaveLength(6);
    expect(mounts[4]).toEqual({ mountPoint: '/mnt/my share', fsType: 'cifs', source: '//nas/share' });
  });

  it('finds the innermost mount holding a path', () => {
    expect(mountFor('/mnt/lab/discovery', mounts)?.fsType).toBe('nfs4');
    expect(mountFor('/mnt/lab/scratch/discovery', mounts)?.fsType).toBe('ext4');
    expect(mountFor('/mnt/lab2', mounts)?.fsType).toBe('ext4');
    expect(mountFor('/mnt/my share/x', mounts)?.fsType).toBe('cifs');
  });

  it('suggests polling on network filesystems, with a reason', () => {
    for (const t of ['nfs', 'nfs4', 'cifs', 'smb3', 'fuse.sshfs', '9p']) expect(isNetworkFsType(t), t).toBe(true);
    for (const t of ['ext4', 'tmpfs', 'xfs', 'btrfs', 'overlay']) expect(isNetworkFsType(t), t).toBe(false);
    const v = judgeMount(mountFor('/mnt/lab/discovery', mounts));
    expect(v.suggestPolling).toBe(true);
    expect(v.reason).toBe(
      'on a nfs4 network filesystem (fileserver:/export/lab at /mnt/lab): changes made by other hosts send no events here, so polling is used',
    );
  });

  it('judges a real temporary directory as local; a missing one is unknown, never guessed from an ancestor', () => {
    const dir = makeTempDir('mount');
    try {
      const v = mountVerdictFor(dir);
      expect(v.network).toBe(false);
      expect(v.fsType).not.toBe('unknown');
      const missing = mountVerdictFor(`${dir}/not/yet`);
      expect(missing.fsType).toBe('unknown');
      expect(missing.reason).toBe(`filesystem unknown (${dir}/not/yet does not exist); using file-change events`);
    } finally {
      removeDir(dir);
    }
  });

  it("takes the directory's own mount entry, through symlinks (the longest mount point of its real path)", () => {
    const info = [
      '22 1 253:0 / / rw - ext4 /dev/vda rw',
      `40 22 0:35 / ${realpathSync(tmpdir())} rw - nfs4 fileserver:/export rw`,
    ].join('\n');
    const base = makeTempDir('mountinfo');
    const file = join(base, 'mountinfo');
    const link = join(base, 'link');
    try {
      writeFileSync(file, info);
      symlinkSync(base, link);
      expect(mountVerdictFor(link, file).fsType).toBe('nfs4');
      expect(mountVerdictFor('/', file).fsType).toBe('ext4');
    } finally {
      removeDir(base);
    }
  });
});
