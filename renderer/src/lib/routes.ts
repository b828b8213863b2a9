// The views in the sidebar, addressed by the URL hash (#/channels) so a reload keeps the view.
export const ROUTES = [
  { id: 'channels', label: 'Channels' },
  { id: 'datablocks', label: 'DataBlocks' },
  { id: 'broker', label: 'Broker' },
  { id: 'discovery', label: 'Discovery' },
  { id: 'live', label: 'Live board' },
  { id: 'alerts', label: 'Alerts' },
] as const;

export type RouteId = (typeof ROUTES)[number]['id'];

export function routeFromHash(hash: string): RouteId {
  const id = hash.replace(/^#\/?/, '').split('/')[0];
  return ROUTES.find((r) => r.id === id)?.id ?? 'channels';
}

/** The part after the view, e.g. the segment name in #/datablocks/lab.demo.counter. */
export function routeParam(hash: string): string | null {
  const rest = hash.replace(/^#\/?/, '').split('/').slice(1).join('/');
  return rest ? decodeURIComponent(rest) : null;
}

export function datablockHref(name: string): string {
  return `#/datablocks/${encodeURIComponent(name)}`;
}

/** Several live views side by side: #/live/a,b,c */
export function liveBoardHref(names: string[]): string {
  return `#/live/${names.map(encodeURIComponent).join(',')}`;
}
