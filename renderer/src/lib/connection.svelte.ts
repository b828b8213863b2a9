// Whether the renderer can currently reach main (always true over IPC).
export const connection = $state({ connected: false });
