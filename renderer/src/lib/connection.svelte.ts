// Whether the renderer can currently reach main (always true over IPC), and since
// when (ms epoch) it has been in that state, for "stale since".
export const connection = $state({ connected: false, changedAt: Date.now() });

export function setConnected(up: boolean): void {
  if (connection.connected === up) return;
  connection.connected = up;
  connection.changedAt = Date.now();
}
