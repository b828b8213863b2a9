// The Electron IPC implementation of the HubScope contract, built in the renderer
// around the raw bridge that the preload exposes (see IpcBridge in contract.ts).
import {
  ApiError,
  type HubScopeApi,
  type IpcBridge,
  type Method,
  type ParamsOf,
  type ResultOf,
  type Topic,
  type Topics,
} from './contract.js';

export function createIpcApi(bridge: IpcBridge): HubScopeApi {
  return {
    transport: 'ipc',
    async invoke<M extends Method>(method: M, params: ParamsOf<M>): Promise<ResultOf<M>> {
      const response = await bridge.invoke(method, params);
      if (response.ok) return response.result as ResultOf<M>;
      throw new ApiError(response.error.code, response.error.message);
    },
    subscribe<T extends Topic>(topic: T, listener: (value: Topics[T]) => void) {
      return bridge.subscribe(topic, (value) => listener(value as Topics[T]));
    },
  };
}
