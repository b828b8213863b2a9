// The desktop shell: the ONE module in main/ that imports electron. It starts the
// same services as `hubscope serve`, answers the renderer over IPC and forwards
// topic changes; everything else lives in plain Node modules.
import { app, BrowserWindow, dialog, ipcMain, Notification, session } from 'electron';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ALERT_RULE_TITLES, IPC_EVENT, IPC_INVOKE } from '../preload/contract.js';
import { startCore, type HubScopeCore } from './core/hubscope-core.js';
import { parseServiceArgs } from './core/options.js';
import { packageRoot, rendererDist } from './paths.js';
import { waitForStopSignal } from './shared/stop-signal.js';

const indexHtml = join(rendererDist(), 'index.html');
const rendererOrigin = pathToFileURL(rendererDist()).href;
let core: HubScopeCore | undefined;

// SIGINT/SIGTERM (Ctrl-C on `npm start`, a supervisor): close the services first,
// so the embedded broker's endpoint file is removed, then end by that signal.
const stop = waitForStopSignal();
void stop.received.then(async (signal) => {
  const closing = core;
  core = undefined;
  await closing?.close().catch((err: unknown) => console.error('HubScope: closing the services failed:', err));
  stop.exitBy(signal);
});

// A failure in a service must never take the window down with it.
process.on('uncaughtException', (err) => console.error('HubScope main process error:', err));
process.on('unhandledRejection', (err) => console.error('HubScope main process rejection:', err));

function createWindow(): void {
  const win = new BrowserWindow({
    width: 1280,
    height: 820,
    minWidth: 800,
    minHeight: 500,
    title: 'HubScope',
    show: false,
    webPreferences: {
      preload: join(packageRoot(), 'dist', 'preload', 'electron-preload.cjs'),
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      spellcheck: false,
    },
  });
  // No remote content: no new windows, no navigation away from the bundled UI.
  win.webContents.setWindowOpenHandler(() => ({ action: 'deny' }));
  win.webContents.on('will-navigate', (event, url) => {
    if (!url.startsWith(rendererOrigin)) event.preventDefault();
  });
  win.once('ready-to-show', () => win.show());
  void win.loadFile(indexHtml);
}

async function main(): Promise<void> {
  if (!app.requestSingleInstanceLock()) {
    app.quit();
    return;
  }
  await app.whenReady();
  session.defaultSession.setPermissionRequestHandler((_contents, _permission, callback) => callback(false));

  // argv: [electron, app path, ...options given after `npm start --`]
  core = await startCore({ shell: 'electron', services: parseServiceArgs(process.argv.slice(2)) });
  const running = core;
  // A raised alert is worth an OS notification even while the window is hidden; a cleared one is not.
  running.alerts.addNotifier(({ event, alert }) => {
    if (event !== 'raised' || !Notification.isSupported()) return;
    new Notification({ title: `HubScope: ${ALERT_RULE_TITLES[alert.rule]}`, body: alert.message }).show();
  });
  ipcMain.handle(IPC_INVOKE, (event, method, params) => {
    if (!event.senderFrame?.url.startsWith(rendererOrigin)) {
      return {
        ok: false,
        error: { code: 'BAD_REQUEST', message: "Requests are only accepted from HubScope's own UI." },
      };
    }
    return running.router.handle(method, params);
  });
  running.bus.subscribe((topic, value) => {
    for (const win of BrowserWindow.getAllWindows()) {
      if (!win.isDestroyed() && !win.webContents.isDestroyed()) win.webContents.send(IPC_EVENT, topic, value);
    }
  });

  createWindow();
  app.on('activate', () => {
    if (BrowserWindow.getAllWindows().length === 0) createWindow();
  });
  app.on('window-all-closed', () => app.quit());
  app.on('before-quit', () => {
    void core?.close();
  });
}

main().catch((err: Error) => {
  dialog.showErrorBox('HubScope could not start', err.message);
  app.exit(1);
});
