// The WebSocket implementation of the HubScope contract, used by the renderer in
// browser mode (`hubscope serve`). It reconnects on its own; requests in flight when
// the socket drops fail with DISCONNECTED, and every followed topic is fetched again
// once the socket is back so the UI never shows state from before the gap.
import { decodeBinaryFrame } from './binary-frame.js';
import {
  ApiError,
  type ApiErrorDto,
  type HubScopeApi,
  type Method,
  type ParamsOf,
  type ResultOf,
  type Topic,
  type Topics,
  type Unsubscribe,
  type WsServerFrame,
} from './contract.js';

interface Pending {
  resolve(value: unknown): void;
  reject(error: Error): void;
}

const RECONNECT_MIN_MS = 250;
const RECONNECT_MAX_MS = 5_000;

export interface WsApiOptions {
  /** ws:// or wss:// URL of the bridge, e.g. ws://127.0.0.1:7400/ws */
  url: string;
  /** Called whenever the connection opens or drops, for a status indicator. */
  onConnectionChange?: (connected: boolean) => void;
}

export function createWsApi(options: WsApiOptions): HubScopeApi {
  const pending = new Map<number, Pending>();
  const listeners = new Map<Topic, Set<(value: never) => void>>();
  const queue: string[] = [];
  let nextId = 1;
  let socket: WebSocket | undefined;
  let open = false;
  let delay = RECONNECT_MIN_MS;
  let everOpened = false;

  function connect(): void {
    const ws = new WebSocket(options.url);
    // Live data arrives as binary frames (binary-frame.ts); ArrayBuffer decodes without a copy.
    ws.binaryType = 'arraybuffer';
    socket = ws;
    ws.onopen = () => {
      open = true;
      delay = RECONNECT_MIN_MS;
      options.onConnectionChange?.(true);
      for (const frame of queue.splice(0)) ws.send(frame);
      if (everOpened) refetchFollowedTopics();
      everOpened = true;
    };
    ws.onmessage = (event: MessageEvent) => {
      if (typeof event.data === 'string') handleFrame(parseText(event.data));
      else if (event.data instanceof ArrayBuffer) handleFrame(parseBinary(event.data));
    };
    ws.onclose = () => {
      open = false;
      options.onConnectionChange?.(false);
      const error = new ApiError('DISCONNECTED', 'The connection to HubScope was lost; retrying.');
      for (const p of pending.values()) p.reject(error);
      pending.clear();
      setTimeout(connect, delay);
      delay = Math.min(delay * 2, RECONNECT_MAX_MS);
    };
  }

  function handleFrame(frame: WsServerFrame | null): void {
    if (!frame) return;
    if (frame.t === 'res') {
      const p = pending.get(frame.id);
      if (!p) return;
      pending.delete(frame.id);
      if (frame.ok) p.resolve(frame.result);
      else p.reject(toApiError(frame.error));
    } else if (frame.t === 'evt') {
      deliver(frame.topic, frame.value);
    }
  }

  function deliver(topic: Topic, value: unknown): void {
    for (const listener of listeners.get(topic) ?? []) listener(value as never);
  }

  function refetchFollowedTopics(): void {
    for (const topic of listeners.keys()) {
      invoke(`${topic}.get` as Method, null as never).then(
        (value) => deliver(topic, value),
        () => undefined,
      );
    }
  }

  function invoke<M extends Method>(method: M, params: ParamsOf<M>): Promise<ResultOf<M>> {
    const id = nextId++;
    const frame = JSON.stringify({ t: 'req', id, method, params });
    return new Promise<ResultOf<M>>((resolve, reject) => {
      pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      if (open && socket) socket.send(frame);
      else queue.push(frame);
    });
  }

  connect();

  return {
    transport: 'websocket',
    invoke,
    subscribe<T extends Topic>(topic: T, listener: (value: Topics[T]) => void): Unsubscribe {
      let set = listeners.get(topic);
      if (!set) listeners.set(topic, (set = new Set()));
      const entry = listener as (value: never) => void;
      set.add(entry);
      return () => set.delete(entry);
    },
  };
}

// Anything unreadable is ignored rather than thrown into the UI.
function parseText(text: string): WsServerFrame | null {
  try {
    return JSON.parse(text) as WsServerFrame;
  } catch {
    return null;
  }
}

function parseBinary(data: ArrayBuffer): WsServerFrame | null {
  try {
    return decodeBinaryFrame(data) as WsServerFrame;
  } catch {
    return null;
  }
}

function toApiError(error: ApiErrorDto | undefined): ApiError {
  return new ApiError(error?.code ?? 'INTERNAL', error?.message ?? 'HubScope answered with an unreadable error.');
}
