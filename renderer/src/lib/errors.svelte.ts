// Errors that escape every component (event handlers, promises) are collected here
// and shown in a banner rather than lost in the console.
export const uncaught: { messages: string[] } = $state({ messages: [] });

export function reportUncaught(message: string): void {
  if (uncaught.messages.includes(message)) return;
  uncaught.messages = [...uncaught.messages.slice(-4), message];
}

export function installGlobalErrorHandlers(): void {
  window.addEventListener('error', (event) => reportUncaught(event.message));
  window.addEventListener('unhandledrejection', (event) => {
    const reason: unknown = event.reason;
    reportUncaught(reason instanceof Error ? reason.message : String(reason));
  });
}
