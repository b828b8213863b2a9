// `hubscope broker --install-service [--now] [broker options]`: a systemd user
// service that runs this broker with these options whenever the user's service
// manager runs (at login, or at boot with lingering), restarted when it fails.
// Writes $XDG_CONFIG_HOME/systemd/user/hubscope-broker.service (else ~/.config/...).
// systemctl runs only with --now; otherwise the commands are printed, so writing
// the unit never touches the running system by surprise.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, join } from 'node:path';
import { packageRoot } from '../paths.js';
import { VERSION } from '../version.js';
import { parseBrokerArgs } from './broker.js';
import { UsageError } from './command.js';

export const SERVICE_NAME = 'hubscope-broker';
export const INSTALL_SERVICE_FLAG = '--install-service';
const NOW_FLAG = '--now';

/** Where systemd looks for this user's units. */
export function userUnitPath(env: NodeJS.ProcessEnv = process.env): string {
  const config = env.XDG_CONFIG_HOME || join(env.HOME || homedir(), '.config');
  return join(config, 'systemd', 'user', `${SERVICE_NAME}.service`);
}

/**
 * One word of ExecStart as systemd parses it: `%` starts a specifier and `$` a
 * variable in both quoted and bare words, so both are doubled; a word with
 * anything but plain path characters is double-quoted, with `\` and `"` escaped.
 */
export function systemdWord(word: string): string {
  const escaped = word.replace(/%/g, '%%').replace(/\$/g, '$$$$');
  if (/^[A-Za-z0-9_@%+=:,./-]+$/.test(escaped)) return escaped;
  return `"${escaped.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

export interface BrokerServiceUnit {
  /** The program that runs the CLI (Node, or the desktop app's Electron run as Node). */
  runtime: string;
  /** bin/hubscope.js of this installation. */
  cli: string;
  /** Broker options, passed through unchanged (keys, endpoint, discovery directory, ...). */
  brokerArgs: string[];
  /** Where relative paths in brokerArgs are resolved: the directory the unit was made in. */
  workingDirectory: string;
  /** True when runtime is Electron's binary, which runs as Node only when told so. */
  electron: boolean;
}

/** The unit file's text. */
export function brokerServiceUnit(u: BrokerServiceUnit): string {
  const exec = [u.runtime, u.cli, 'broker', ...u.brokerArgs].map(systemdWord).join(' ');
  return [
    `# Written by \`hubscope broker ${INSTALL_SERVICE_FLAG}\` (HubScope ${VERSION}); run it again to change`,
    '# the options, or edit ExecStart and run `systemctl --user daemon-reload`.',
    '[Unit]',
    'Description=HubScope MessageHub broker',
    '',
    '[Service]',
    'Type=simple',
    `WorkingDirectory=${systemdWord(u.workingDirectory)}`,
    ...(u.electron ? ['Environment=ELECTRON_RUN_AS_NODE=1'] : []),
    `ExecStart=${exec}`,
    // A crash or a failed start (say the port is taken) is retried; `systemctl stop`
    // (SIGTERM: the broker tells its clients and removes its endpoint file) is not.
    'Restart=on-failure',
    'RestartSec=2s',
    'TimeoutStopSec=15s',
    '',
    '[Install]',
    'WantedBy=default.target',
    '',
  ].join('\n');
}

/** `systemctl` on PATH, or undefined. */
function findSystemctl(env: NodeJS.ProcessEnv): string | undefined {
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    const candidate = join(dir, 'systemctl');
    if (dir && existsSync(candidate)) return candidate;
  }
  return undefined;
}

/**
 * Writes the unit for `args` (the broker's command line with --install-service and
 * --now in it) and, with --now, enables and starts it. Returns the exit code.
 */
export function installBrokerService(args: string[], env: NodeJS.ProcessEnv = process.env): number {
  const now = args.includes(NOW_FLAG);
  const brokerArgs = args.filter((a) => a !== INSTALL_SERVICE_FLAG && a !== NOW_FLAG);
  // Options the broker would refuse fail here, not at every restart of the service.
  parseBrokerArgs(brokerArgs);
  if (brokerArgs.some((a) => /[\n\r]/.test(a)))
    throw new UsageError('broker options for a service cannot contain line breaks');

  const path = userUnitPath(env);
  const unit = brokerServiceUnit({
    runtime: process.execPath,
    cli: join(packageRoot(), 'bin', 'hubscope.js'),
    brokerArgs,
    workingDirectory: process.cwd(),
    electron: process.versions.electron !== undefined,
  });
  mkdirSync(join(path, '..'), { recursive: true });
  const existed = existsSync(path);
  // Written whole or not at all: systemd may read it at any moment.
  writeFileSync(`${path}.tmp`, unit);
  renameSync(`${path}.tmp`, path);
  console.log(`${existed ? 'Updated' : 'Wrote'} ${path}`);

  const commands = [
    ['systemctl', '--user', 'daemon-reload'],
    ['systemctl', '--user', 'enable', '--now', SERVICE_NAME],
  ];
  const systemctl = now ? findSystemctl(env) : undefined;
  if (now && !systemctl) console.log('systemctl was not found on PATH; run these where systemd runs:');
  if (!systemctl) {
    if (!now) console.log('Start it now and at every login with:');
    console.log(`  ${commands.map((c) => c.join(' ')).join(' && ')}`);
  } else {
    for (const [, ...rest] of commands) {
      const result = spawnSync(systemctl, rest, { stdio: 'inherit', env });
      if (result.status !== 0) {
        console.error(`hubscope: systemctl ${rest.join(' ')} failed (exit ${result.status ?? result.signal}).`);
        return 1;
      }
    }
    console.log(`Started ${SERVICE_NAME}; \`systemctl --user status ${SERVICE_NAME}\` shows it.`);
  }
  console.log(
    `To run it from boot, before anyone logs in: loginctl enable-linger ${env.USER ?? '$USER'}\n` +
      `Logs: journalctl --user -u ${SERVICE_NAME}`,
  );
  return 0;
}
