// Posts each alert as JSON to the user's webhook (`--alert-webhook URL`), with a
// timeout. A failure is logged, never thrown: a monitor must outlive its hooks.
import type { AlertEvent, AlertNotifier } from './alert-engine.js';

export const WEBHOOK_TIMEOUT_MS = 5000;

/** The URL must be http(s); checked when the option is given, not on the first alert. */
export function checkWebhookUrl(text: string): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new Error(`the webhook URL "${text}" is not a URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new Error(`the webhook URL must start with http:// or https://, not ${url.protocol}`);
  }
  return url;
}

/** Resolves to whether the hook answered with a 2xx status. */
export async function postAlert(
  url: URL,
  event: AlertEvent,
  log: (line: string) => void = (line) => console.error(line),
  timeoutMs = WEBHOOK_TIMEOUT_MS,
): Promise<boolean> {
  // Never log the URL's query or credentials: tokens often live there.
  const where = `${url.protocol}//${url.host}${url.pathname}`;
  try {
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(event),
      signal: AbortSignal.timeout(timeoutMs),
      redirect: 'error',
    });
    await res.body?.cancel();
    if (!res.ok) log(`hubscope alerts: the webhook ${where} answered ${res.status}`);
    return res.ok;
  } catch (err) {
    const e = err as Error & { cause?: { code?: string } };
    const why = e.name === 'TimeoutError' ? `no answer within ${timeoutMs / 1000} s` : (e.cause?.code ?? e.message);
    log(`hubscope alerts: cannot post to the webhook ${where}: ${why}`);
    return false;
  }
}

export function webhookNotifier(url: URL, log?: (line: string) => void): AlertNotifier {
  return async (event) => {
    await postAlert(url, event, log);
  };
}
