// The part of Electron's API that HubScope uses, for type checking.
//
// Why a local declaration: `electron` is an optional dependency whose install
// step downloads the binary; where that download is impossible (CI, offline
// labs) npm drops the whole package, types included. tsconfig maps the module
// name `electron` here so type checking is the same on every machine. Signatures
// follow Electron's own electron.d.ts; extend this file when the shell needs more.

export interface IpcMainInvokeEvent {
  readonly sender: WebContents;
  readonly senderFrame: { readonly url: string } | null;
}
export interface IpcRendererEvent {
  readonly sender: unknown;
}
export interface WebContents {
  send(channel: string, ...args: unknown[]): void;
  isDestroyed(): boolean;
  setWindowOpenHandler(handler: (details: { url: string }) => { action: 'deny' | 'allow' }): void;
  on(event: 'will-navigate', listener: (event: { preventDefault(): void }, url: string) => void): this;
  on(event: 'render-process-gone', listener: (event: unknown, details: { reason: string }) => void): this;
  getURL(): string;
}
export interface BrowserWindowConstructorOptions {
  width?: number;
  height?: number;
  minWidth?: number;
  minHeight?: number;
  title?: string;
  show?: boolean;
  backgroundColor?: string;
  webPreferences?: {
    preload?: string;
    contextIsolation?: boolean;
    sandbox?: boolean;
    nodeIntegration?: boolean;
    webSecurity?: boolean;
    allowRunningInsecureContent?: boolean;
    spellcheck?: boolean;
  };
}
export class BrowserWindow {
  constructor(options?: BrowserWindowConstructorOptions);
  static getAllWindows(): BrowserWindow[];
  readonly webContents: WebContents;
  loadFile(filePath: string): Promise<void>;
  once(event: 'ready-to-show', listener: () => void): this;
  on(event: 'closed', listener: () => void): this;
  show(): void;
  isDestroyed(): boolean;
}
export interface App {
  whenReady(): Promise<void>;
  quit(): void;
  exit(code?: number): void;
  getVersion(): string;
  requestSingleInstanceLock(): boolean;
  on(
    event: 'window-all-closed' | 'before-quit' | 'second-instance' | 'activate',
    listener: (...args: unknown[]) => void,
  ): this;
  on(event: 'web-contents-created', listener: (event: unknown, contents: WebContents) => void): this;
}
export const app: App;
export const ipcMain: {
  handle(channel: string, listener: (event: IpcMainInvokeEvent, ...args: unknown[]) => unknown): void;
  removeHandler(channel: string): void;
};
export const ipcRenderer: {
  invoke(channel: string, ...args: unknown[]): Promise<unknown>;
  on(channel: string, listener: (event: IpcRendererEvent, ...args: never[]) => void): void;
  removeListener(channel: string, listener: (event: IpcRendererEvent, ...args: never[]) => void): void;
};
export const contextBridge: {
  exposeInMainWorld(apiKey: string, api: unknown): void;
};
export const dialog: {
  showErrorBox(title: string, content: string): void;
};
export const session: {
  readonly defaultSession: {
    setPermissionRequestHandler(
      handler: ((webContents: WebContents, permission: string, callback: (granted: boolean) => void) => void) | null,
    ): void;
  };
};
/** OS notifications from the main process (the desktop shell's raised alerts). */
export class Notification {
  static isSupported(): boolean;
  constructor(options: { title: string; body: string; silent?: boolean });
  show(): void;
}
