// Electron preload (sandboxed, contextIsolation on): exposes the raw IPC bridge as
// `window.hubscopeBridge`. The renderer wraps it into the HubScope contract with
// preload/ipc-client.ts. Bundled to CommonJS by esbuild because sandboxed preloads
// cannot load ES modules; only `electron` and the contract's constants are used.
import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';
import { IPC_EVENT, IPC_INVOKE, type IpcBridge, type Topic, type WireResponse } from './contract.js';

const bridge: IpcBridge = {
  invoke: (method, params) => ipcRenderer.invoke(IPC_INVOKE, method, params) as Promise<WireResponse>,
  subscribe(topic, listener) {
    const handler = (_event: IpcRendererEvent, eventTopic: Topic, value: unknown) => {
      if (eventTopic === topic) listener(value);
    };
    ipcRenderer.on(IPC_EVENT, handler);
    return () => {
      ipcRenderer.removeListener(IPC_EVENT, handler);
    };
  },
};

contextBridge.exposeInMainWorld('hubscopeBridge', bridge);
