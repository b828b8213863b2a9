// Where a producer command (`hubscope demo`, `hubscope replay`) announces its segments:
// the discovery directory and broker the usual service options choose. When the user
// named no broker, a live one on this host that announced itself in the discovery
// directory is preferred (the app's embedded broker may have had to take a free port).
import { serviceOptionsFrom } from '../core/options.js';
import { brokerFromDiscovery } from '../producer/find-broker.js';

export interface AnnounceOptionValues {
  broker?: string | undefined;
  'discovery-dir'?: string | undefined;
  'no-discovery'?: boolean | undefined;
}

export interface AnnounceTarget {
  discoveryDir: string | null;
  brokerEndpoint: string | null;
}

export async function announceTarget(values: AnnounceOptionValues): Promise<AnnounceTarget> {
  const services = serviceOptionsFrom({
    broker: values.broker,
    'discovery-dir': values['discovery-dir'],
    'no-discovery': values['no-discovery'],
  });
  const discoveryDir = services.discovery?.dir ?? null;
  if (services.broker.mode === 'off') return { discoveryDir, brokerEndpoint: null };
  const userChose = values.broker !== undefined || process.env.HUBSCOPE_BROKER !== undefined;
  const brokerEndpoint = userChose
    ? services.broker.endpoint
    : ((await brokerFromDiscovery(discoveryDir)) ?? services.broker.endpoint);
  return { discoveryDir, brokerEndpoint };
}
