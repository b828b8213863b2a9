// `hubscope broker --install-service`: the systemd user unit it writes (where,
// what, quoting), that systemd accepts it (systemd-analyze verify, where
// installed), and that its ExecStart really starts the broker. systemctl is never
// run here: without --now the commands are printed, and --now without systemctl
// on PATH says so.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CLI, spawnNode, spawnNodeSync, stopProcess } from '../support/processes.js';

const work = mkdtempSync(join(tmpdir(), 'hubscope-service-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

let homes = 0;
/** A fresh HOME (and no XDG_CONFIG_HOME unless given). */
function freshHome(): string {
  const home = join(work, `home${homes++}`);
  mkdirSync(home);
  return home;
}

function installService(args: string[], env: NodeJS.ProcessEnv) {
  return spawnNodeSync([CLI, 'broker', '--install-service', ...args], {
    env: { XDG_CONFIG_HOME: '', ...env },
    timeout: 20_000,
  });
}

/** ExecStart's words as systemd reads them (double quotes, backslash escapes, %% and $$). */
function execStartWords(unit: string): string[] {
  const line = unit.split('\n').find((l) => l.startsWith('ExecStart='))!;
  const words = [...line.slice('ExecStart='.length).matchAll(/"((?:[^"\\]|\\.)*)"|(\S+)/g)];
  return words.map((m) =>
    (m[1] !== undefined ? m[1].replace(/\\(.)/g, '$1') : m[2]!).replace(/%%/g, '%').replace(/\$\$/g, '$'),
  );
}

describe('hubscope broker --install-service', () => {
  it('writes ~/.config/systemd/user/hubscope-broker.service with the broker options and a restart policy', () => {
    const home = freshHome();
    const result = installService(
      ['--endpoint', 'tcp://0.0.0.0:5570', '--discovery-dir', '/mnt/lab share/100%/$HOME', '--heartbeat-ms', '1000'],
      { HOME: home },
    );
    expect(result.status, result.stderr).toBe(0);
    const path = join(home, '.config', 'systemd', 'user', 'hubscope-broker.service');
    expect(result.stdout).toContain(`Wrote ${path}`);
    expect(result.stdout).toContain('systemctl --user daemon-reload && systemctl --user enable --now hubscope-broker');
    const unit = readFileSync(path, 'utf8');
    expect(unit).toMatch(/^Restart=on-failure$/m);
    expect(unit).toMatch(/^WantedBy=default\.target$/m);
    expect(execStartWords(unit)).toEqual([
      process.execPath,
      CLI,
      'broker',
      '--endpoint',
      'tcp://0.0.0.0:5570',
      '--discovery-dir',
      '/mnt/lab share/100%/$HOME',
      '--heartbeat-ms',
      '1000',
    ]);
    // Run again: the unit is replaced, not duplicated.
    const again = installService(['--endpoint', 'tcp://0.0.0.0:5571'], { HOME: home });
    expect(again.stdout).toContain(`Updated ${path}`);
    expect(readFileSync(path, 'utf8')).toContain('tcp://0.0.0.0:5571');
  });

  it('puts the unit under $XDG_CONFIG_HOME when it is set', () => {
    const home = freshHome();
    const config = join(home, 'xdg-config');
    const result = installService([], { HOME: home, XDG_CONFIG_HOME: config });
    expect(result.status, result.stderr).toBe(0);
    expect(existsSync(join(config, 'systemd', 'user', 'hubscope-broker.service'))).toBe(true);
    expect(existsSync(join(home, '.config'))).toBe(false);
  });

  it('refuses options the broker would refuse, naming them, and writes nothing', () => {
    const home = freshHome();
    const result = installService(['--endpoint', 'localhost:5570'], { HOME: home });
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('--endpoint "localhost:5570" is not a ZeroMQ endpoint');
    expect(existsSync(join(home, '.config'))).toBe(false);
  });

  it('with --now and no systemctl on PATH, says so and prints the commands', () => {
    const home = freshHome();
    const bin = join(home, 'bin');
    mkdirSync(bin);
    symlinkSync(process.execPath, join(bin, 'node'));
    const result = installService(['--now'], { HOME: home, PATH: bin });
    expect(result.status, result.stderr).toBe(0);
    expect(result.stdout).toContain('systemctl was not found on PATH');
    expect(result.stdout).toContain('systemctl --user enable --now hubscope-broker');
    const unit = readFileSync(join(home, '.config', 'systemd', 'user', 'hubscope-broker.service'), 'utf8');
    expect(execStartWords(unit)).not.toContain('--now');
  });

  it.runIf(existsSync('/usr/bin/systemd-analyze'))('is a unit systemd accepts (systemd-analyze verify)', () => {
    const home = freshHome();
    installService(['--endpoint', 'tcp://0.0.0.0:5570', '--discovery-dir', '/mnt/lab share'], { HOME: home });
    const path = join(home, '.config', 'systemd', 'user', 'hubscope-broker.service');
    const verify = spawnSync('/usr/bin/systemd-analyze', ['verify', path], { encoding: 'utf8', timeout: 20_000 });
    expect(verify.status, verify.stderr).toBe(0);
    expect(verify.stderr).toBe('');
  });

  it('has an ExecStart that starts the broker', async () => {
    const home = freshHome();
    const discovery = join(home, 'shared discovery');
    mkdirSync(discovery);
    installService(['--endpoint', 'tcp://127.0.0.1:0', '--discovery-dir', discovery], { HOME: home });
    const unit = readFileSync(join(home, '.config', 'systemd', 'user', 'hubscope-broker.service'), 'utf8');
    const [runtime, ...args] = execStartWords(unit);
    expect(runtime).toBe(process.execPath);
    const child = spawnNode(args, { env: { HOME: home }, stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      const endpoint = await new Promise<string>((resolve, reject) => {
        let out = '';
        child.stdout?.on('data', (d: Buffer) => {
          out += d.toString();
          const m = out.match(/tcp:\/\/127\.0\.0\.1:\d+/);
          if (m) resolve(m[0]);
        });
        child.once('exit', (code) => reject(new Error(`the service's broker exited with ${code}: ${out}`)));
      });
      expect(endpoint).toMatch(/^tcp:\/\/127\.0\.0\.1:\d+$/);
    } finally {
      await stopProcess(child);
    }
  });
});
