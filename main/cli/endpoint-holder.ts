// Who holds a broker endpoint that cannot be bound: a HubScope broker on this host
// that announced it in the discovery directory, or (when none did) some other program.
import type { BrokerFileEntry } from '../discovery/model.js';
import { scanDiscoveryDir } from '../discovery/scan.js';

const ANY_LOCAL = new Set(['127.0.0.1', 'localhost', '0.0.0.0', '*', '::1', '[::1]', '::', '[::]']);

/** Same socket as far as a bind on this host goes: same ipc path, or same tcp port on a local or equal host. */
export function sameLocalEndpoint(a: string, b: string): boolean {
  if (a === b) return true;
  const tcp = /^tcp:\/\/(.+):(\d+)$/;
  const [ma, mb] = [a.match(tcp), b.match(tcp)];
  if (!ma || !mb || ma[2] !== mb[2]) return false;
  const [ha, hb] = [ma[1] ?? '', mb[1] ?? ''];
  return ha === hb || (ANY_LOCAL.has(ha) && ANY_LOCAL.has(hb));
}

/** The live HubScope broker on this host whose endpoint file names `endpoint`, if any. */
export async function brokerHolding(endpoint: string, dir: string): Promise<BrokerFileEntry | undefined> {
  const scan = await scanDiscoveryDir(dir).catch(() => undefined);
  return scan?.brokers.find((b) => b.local && b.status === 'live' && sameLocalEndpoint(b.endpoint.endpoint, endpoint));
}

/** The sentence for "cannot bind `endpoint`: address in use". */
export async function endpointInUseMessage(endpoint: string, dir: string): Promise<string> {
  const holder = await brokerHolding(endpoint, dir);
  if (holder) {
    const { pid, startedAt, name } = holder.endpoint;
    return (
      `${endpoint} is in use by the HubScope broker pid ${pid}${name ? ` (${name})` : ''} started at ${startedAt}; ` +
      'stop it or use --endpoint'
    );
  }
  return `${endpoint} is in use by another program (no HubScope broker in ${dir} announces it); use --endpoint`;
}
