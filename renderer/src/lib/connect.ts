// Picks the transport once at start: the Electron preload's IPC bridge when it
// exists, else the WebSocket bridge of the server that served this page. Nothing
// else in the renderer knows which one it has.
import type { HubScopeApi, IpcBridge } from '../../../preload/contract.js';
import { createIpcApi } from '../../../preload/ipc-client.js';
import { createWsApi } from '../../../preload/ws-client.js';
import { setConnected } from './connection.svelte.js';

declare global {
  interface Window {
    hubscopeBridge?: IpcBridge;
  }
}

export function connectApi(): HubScopeApi {
  if (window.hubscopeBridge) {
    setConnected(true);
    return createIpcApi(window.hubscopeBridge);
  }
  const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
  const token = new URLSearchParams(location.search).get('token');
  const url = `${scheme}//${location.host}/ws` + (token ? `?token=${encodeURIComponent(token)}` : '');
  return createWsApi({ url, onConnectionChange: setConnected });
}
