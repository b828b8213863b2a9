// Held live polls (credit-based flow): a poll with waitMs is answered as soon as
// main has read something new, not before; with nothing new it is answered when
// waitMs runs out; closing the view releases it with NOT_FOUND; the params are checked.
import { afterEach, describe, expect, it } from 'vitest';
import type { ChannelSchema } from '../../main/datablock/schema.js';
import { createDataBlock, type DataBlockWriter } from '../../main/datablock/writer.js';
import { LiveStreams } from '../../main/core/live-stream.js';
import { checkLivePoll } from '../../main/core/live-params.js';
import type { LiveFrame } from '../../preload/contract.js';
import { uniqueName, unlinkQuietly } from './datablock-helpers.js';

const SCHEMA: ChannelSchema = {
  id: 'test.live.held',
  version: 1,
  slot: {
    packing: 'aligned',
    fields: [
      { name: 'seq', type: 'uint64' },
      { name: 't', type: 'float64' },
    ],
  },
};

/** Settles on the next turns of the event loop, to see whether a promise has settled meanwhile. */
const turns = (n: number) => new Promise((resolve) => setTimeout(resolve, n));

describe('held live polls', () => {
  const names: string[] = [];
  const writers: DataBlockWriter[] = [];
  const lives: LiveStreams[] = [];
  afterEach(() => {
    for (const l of lives.splice(0)) l.closeAll();
    for (const w of writers.splice(0)) w.close();
    for (const n of names.splice(0)) unlinkQuietly(n);
  });

  function setUp(): { writer: DataBlockWriter; live: LiveStreams; streamId: number } {
    const name = uniqueName('live-held');
    names.push(name);
    const writer = createDataBlock(name, {
      schema: SCHEMA,
      capacity: 64,
      policy: 'RingBuffer',
      syncPolicy: 'Latest_only',
    });
    writers.push(writer);
    const live = new LiveStreams();
    lives.push(live);
    writer.write({ seq: 0n, t: 0 });
    const info = live.open(name, { schema: SCHEMA, source: 'test' }, {});
    // The first answer carries what was there at open; the held ones below wait for what follows.
    expect(live.poll({ streamId: info.streamId, width: 10, windowSec: 1 }).totalTaken).toBe(1);
    return { writer, live, streamId: info.streamId };
  }

  it('waits for a new record, then answers with it', async () => {
    const { writer, live, streamId } = setUp();
    let answered: LiveFrame | null = null;
    const held = live.next({ streamId, width: 10, windowSec: 1, waitMs: 5000 }).then((f) => (answered = f));
    await turns(30);
    expect(answered).toBeNull();
    writer.write({ seq: 1n, t: 0.001 });
    const frame = await held;
    expect(frame.taken).toBe(1);
    expect(frame.totalTaken).toBe(2);
    expect(frame.series?.samples).toBe(2);
  });

  it('answers with nothing new once waitMs has run out', async () => {
    const { live, streamId } = setUp();
    const frame = await live.next({ streamId, width: 10, windowSec: 1, waitMs: 20 });
    expect(frame.taken).toBe(0);
    expect(frame.lost).toBe(0);
  });

  it('answers several held polls of one view in turn, each with the records since the one before', async () => {
    const { writer, live, streamId } = setUp();
    const a = live.next({ streamId, width: 10, windowSec: 1, waitMs: 5000 });
    const b = live.next({ streamId, width: 10, windowSec: 1, waitMs: 5000 });
    for (let n = 1; n <= 3; n++) writer.write({ seq: BigInt(n), t: n / 1000 });
    expect((await a).taken).toBe(3);
    writer.write({ seq: 4n, t: 0.004 });
    const second = await b;
    expect(second.taken).toBe(1);
    expect(second.totalTaken).toBe(5);
  });

  it('a zoomed poll is answered at once even with waitMs', async () => {
    const { live, streamId } = setUp();
    const frame = await live.next({ streamId, width: 10, windowSec: 1, from: -1, to: 1, waitMs: 5000 });
    expect(frame.series?.from).toBe(-1);
  });

  it('closing the view releases its held polls with NOT_FOUND', async () => {
    const { live, streamId } = setUp();
    const held = live.next({ streamId, width: 10, windowSec: 1, waitMs: 5000 });
    live.close(streamId);
    await expect(held).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('refuses more held polls than a view may have', () => {
    const { live, streamId } = setUp();
    const held = Array.from({ length: 4 }, () =>
      live.next({ streamId, width: 10, windowSec: 1, waitMs: 5000 }).catch(() => null),
    );
    expect(() => live.next({ streamId, width: 10, windowSec: 1, waitMs: 5000 })).toThrow(/At most 4 polls/);
    void Promise.all(held);
  });

  it('checks waitMs and minIntervalMs', () => {
    const base = { streamId: 1, width: 10, windowSec: 1 };
    expect(checkLivePoll({ ...base, waitMs: 500, minIntervalMs: 16 })).toMatchObject({
      waitMs: 500,
      minIntervalMs: 16,
    });
    expect(() => checkLivePoll({ ...base, waitMs: -1 })).toThrow(/waitMs must be a number from 0 to 5000/);
    expect(() => checkLivePoll({ ...base, waitMs: 'soon' })).toThrow(/waitMs/);
    expect(() => checkLivePoll({ ...base, minIntervalMs: 1e9 })).toThrow(/minIntervalMs must be a number/);
  });
});
