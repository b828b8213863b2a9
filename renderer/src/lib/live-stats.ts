// What the live views delivered, kept outside Svelte's reactivity (it changes every
// frame) and exposed as `window.hubscopeLive` so end-to-end tests and the UI
// benchmark can read what reached the screen without scraping pixels.
export interface LiveViewStats {
  name: string;
  polls: number;
  /** Records main read for this view and delivered to the page. */
  taken: number;
  lost: number;
  /** Distinct image frame ids drawn. */
  imageFrames: number;
  lastImageFrame: string | null;
  /** Commit-to-screen latencies (ms) of the newest record of each drawn frame, the last 2000. */
  latencies: number[];
  /** Commit-to-arrival latencies (ms) of the same frames, taken when main's answer reached the page: the rest is the page's own. */
  arrivals: number[];
  /** Round-trip times (ms) of the last 200 polls. */
  pollMs: number[];
  /** The x range drawn last. */
  xMin: number | null;
  xMax: number | null;
}

declare global {
  interface Window {
    hubscopeLive?: Record<string, LiveViewStats>;
  }
}

export function statsFor(name: string): LiveViewStats {
  const all = (window.hubscopeLive ??= {});
  return (all[name] ??= {
    name,
    polls: 0,
    taken: 0,
    lost: 0,
    imageFrames: 0,
    lastImageFrame: null,
    latencies: [],
    arrivals: [],
    pollMs: [],
    xMin: null,
    xMax: null,
  });
}

export function recordLatency(stats: LiveViewStats, ms: number): void {
  keepLast(stats.latencies, ms);
}

export function recordArrival(stats: LiveViewStats, ms: number): void {
  keepLast(stats.arrivals, ms);
}

function keepLast(list: number[], ms: number): void {
  list.push(ms);
  if (list.length > 2000) list.splice(0, list.length - 2000);
}
