// Which broker a producer should register with when the user did not say: a live
// broker on this host that announced itself in the discovery directory (the
// app's embedded broker may have had to take a free port), else the default.
import { scanDiscoveryDir } from '../discovery/scan.js';

export async function brokerFromDiscovery(dir: string | null): Promise<string | null> {
  if (!dir) return null;
  const scan = await scanDiscoveryDir(dir).catch(() => null);
  const live = scan?.brokers.filter((b) => b.local && b.status === 'live') ?? [];
  live.sort((a, b) => b.endpoint.updatedAt.localeCompare(a.endpoint.updatedAt));
  return live[0]?.endpoint.endpoint ?? null;
}
