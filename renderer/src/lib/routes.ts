// The views in the sidebar, addressed by the URL hash (#/channels) so a reload keeps the view.
export const ROUTES = [
  { id: 'channels', label: 'Channels' },
  { id: 'datablocks', label: 'DataBlocks' },
  { id: 'broker', label: 'Broker' },
  { id: 'discovery', label: 'Discovery' },
] as const;

export type RouteId = (typeof ROUTES)[number]['id'];

export function routeFromHash(hash: string): RouteId {
  const id = hash.replace(/^#\/?/, '').split('/')[0];
  return ROUTES.find((r) => r.id === id)?.id ?? 'channels';
}
