// Slots per second per channel, from two METRICS_ACK samples of the same producer: the
// hub computes no rates, and its metrics change only on a producer heartbeat, so the
// rate is the delta of role.out_slots_written between two different `_collected_at`.

/** `YYYY-MM-DD HH:MM:SS.ffffff` (UTC, no zone) → ms since epoch with the µs as fraction, or null. */
export function parseCollectedAt(text: string): number | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?Z?$/.exec(text);
  if (!m) return null;
  const [, y, mo, d, h, mi, s, frac = '0'] = m;
  const whole = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s));
  return Number.isNaN(whole) ? null : whole + Number(`0.${frac}`) * 1000;
}

interface RateState {
  producerUid: string;
  collectedAt: string;
  atMs: number;
  count: number;
  rate: number | null;
}

export class SlotRates {
  private readonly rates = new Map<string, RateState>();

  /** `note` records a `_collected_at` the hub wrote in another format (a spec difference). */
  constructor(private readonly note: (text: string) => void) {}

  /**
   * Slots per second from two metrics of the same producer with different
   * `_collected_at`. Null until two samples exist, after a counter reset, and while
   * the channel is not live.
   */
  rateOf(
    channel: string,
    producerUid: string | null,
    collectedAt: string | null,
    count: number | null,
    observable: string | null,
  ): number | null {
    const atMs = collectedAt === null ? null : parseCollectedAt(collectedAt);
    if (producerUid === null || collectedAt === null || atMs === null || count === null) {
      if (collectedAt !== null && atMs === null) {
        this.note(`metrics _collected_at "${collectedAt.slice(0, 40)}" is not YYYY-MM-DD HH:MM:SS.ffffff`);
      }
      this.rates.delete(channel);
      return null;
    }
    const prev = this.rates.get(channel);
    if (!prev || prev.producerUid !== producerUid) {
      this.rates.set(channel, { producerUid, collectedAt, atMs, count, rate: null });
      return null;
    }
    if (prev.collectedAt !== collectedAt) {
      const dt = (atMs - prev.atMs) / 1000;
      prev.rate = dt > 0 && count >= prev.count ? (count - prev.count) / dt : null;
      prev.collectedAt = collectedAt;
      prev.atMs = atMs;
      prev.count = count;
    }
    return observable === null || observable === 'live' ? prev.rate : null;
  }

  /** Drops the samples of channels the hub no longer lists. */
  forgetOthers(listed: (channel: string) => boolean): void {
    for (const name of [...this.rates.keys()]) if (!listed(name)) this.rates.delete(name);
  }
}
