// Consumer groups (capability "groups", docs/protocol.md "Consumer groups") over real
// sockets and a real segment: three members split a channel's records by id mod
// size == index, one dies without deregistering (liveness removes it), it rejoins, and
// across the rebalances no record is processed twice or missed. Records are written in
// rounds; after each rebalance every member reads on from the round's first id (the
// generation's start point) with its new share (GroupFilter).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBroker, type Broker } from '../../main/broker/broker.js';
import { MessageHub } from '../../main/hub/message-hub.js';
import { GroupFilter } from '../../main/datablock/group-filter.js';
import { openDataBlock, type DataBlockReader } from '../../main/datablock/reader.js';
import { createDataBlock, type DataBlockWriter } from '../../main/datablock/writer.js';
import type { GroupShareT } from '../../main/protocol/messages.js';
import { unlinkQuietly, uniqueName as segmentName, VECTOR_SCHEMA } from './datablock-helpers.js';
import { uniqueName } from './hub-fixtures/helpers.js';
import { helloBody, helloedRawClient, RawClient } from './hub-fixtures/raw-client.js';

const HEARTBEAT_MS = 50;
const GROUP = 'workers';

interface Member {
  id: string;
  raw: RawClient;
  share?: GroupShareT;
  filter?: GroupFilter;
}

describe('consumer groups', () => {
  let broker: Broker;
  const raws: RawClient[] = [];

  beforeAll(async () => {
    broker = await startBroker({ endpoint: 'tcp://127.0.0.1:0', heartbeatIntervalMs: HEARTBEAT_MS, open: true });
  });
  afterAll(async () => {
    raws.forEach((r) => r.close());
    await broker.close();
  });

  async function client(capabilities?: string[]): Promise<RawClient> {
    const raw = await helloedRawClient(broker.endpoint, 'group-test', capabilities);
    raws.push(raw);
    return raw;
  }

  async function join(channel: string, id: string): Promise<Member> {
    const raw = await client(['groups']);
    const reply = await raw.request('CONSUMER_REGISTER', {
      channel,
      consumerId: id,
      host: 'testhost',
      pid: process.pid,
      group: GROUP,
    });
    expect(reply.type).toBe('CONSUMER_REGISTER_OK');
    return { id, raw, share: reply.body.share as GroupShareT };
  }

  /** Waits until every member holds a share of a group of `size` (latest GROUP_REBALANCED wins). */
  async function settle(channel: string, members: Member[], size: number): Promise<number> {
    for (const m of members) {
      while (m.share?.size !== size) {
        const n = await m.raw.next((x) => x.type === 'GROUP_REBALANCED', 5000);
        const share = n.body as unknown as GroupShareT;
        expect(share).toMatchObject({ channel, group: GROUP, consumerId: m.id });
        if (!m.share || share.generation > m.share.generation) m.share = share;
      }
    }
    const generations = new Set(members.map((m) => m.share!.generation));
    expect(generations.size).toBe(1);
    const indexes = members.map((m) => m.share!.index).sort();
    expect(indexes).toEqual([...Array(size).keys()]);
    return [...generations][0]!;
  }

  let writer: DataBlockWriter | undefined;
  const readers: DataBlockReader[] = [];
  const shm = segmentName('groups');
  afterAll(() => {
    readers.forEach((r) => r.close());
    writer?.close();
    unlinkQuietly(shm);
  });

  /**
   * Writes records [from, to) to the segment (seq = id), then every member reads on from
   * `from` with its current share; records who read each seq.
   */
  function round(members: Member[], from: number, to: number, seen: Map<bigint, string[]>): void {
    for (let id = from; id < to; id++) writer!.write({ seq: BigInt(id), value: id, flags: 0 });
    for (const m of members) {
      if (!m.filter) {
        const reader = openDataBlock(shm);
        readers.push(reader);
        m.filter = new GroupFilter(reader, m.share!, BigInt(from));
      } else m.filter.reshare(m.share!, BigInt(from));
      for (const r of m.filter.read()) {
        const seq = Buffer.from(r.bytes).readBigUInt64LE(0);
        seen.set(seq, [...(seen.get(seq) ?? []), m.id]);
      }
      expect(m.filter.missed).toBe(0);
    }
  }

  it('splits records across members with no record read twice or missed across a death and a rejoin', async () => {
    const channel = uniqueName('grp');
    writer = createDataBlock(shm, {
      schema: VECTOR_SCHEMA,
      capacity: 128,
      policy: 'RingBuffer',
      syncPolicy: 'Latest_only',
    });
    const a = await join(channel, 'a');
    const b = await join(channel, 'b');
    const c = await join(channel, 'c');
    const gen1 = await settle(channel, [a, b, c], 3);
    const seen = new Map<bigint, string[]>();
    round([a, b, c], 0, 30, seen);

    // c dies: its socket closes without CONSUMER_DEREGISTER or BYE; a and b keep heartbeating.
    c.raw.close();
    const beat = setInterval(() => {
      for (const m of [a, b])
        void m.raw
          .request('HEARTBEAT', { producers: [], consumers: [{ channel, consumerId: m.id }] })
          .catch(() => undefined);
    }, HEARTBEAT_MS / 2);
    try {
      const gen2 = await settle(channel, [a, b], 2);
      expect(gen2).toBeGreaterThan(gen1);

      // A member acting on the old generation is told so, with its current share.
      const stale = await a.raw.request('GROUP_ACK', { channel, group: GROUP, consumerId: 'a', generation: gen1 });
      expect(stale.body).toMatchObject({ code: 'STALE_GENERATION', details: { generation: gen2, size: 2 } });
      const ok = await a.raw.request('GROUP_ACK', {
        channel,
        group: GROUP,
        consumerId: 'a',
        generation: gen2,
        lastRecordId: 29,
      });
      expect(ok.type).toBe('GROUP_ACK_OK');
      round([a, b], 30, 60, seen);

      // c comes back (a new connection, same consumer id).
      const c2 = await join(channel, 'c');
      const gen3 = await settle(channel, [a, b, c2], 3);
      expect(gen3).toBeGreaterThan(gen2);
      round([a, b, c2], 60, 90, seen);

      const list = await a.raw.request('CHANNEL_LIST', { prefix: channel });
      const info = (list.body.channels as Array<{ groups?: unknown }>)[0]!;
      expect(info.groups).toEqual([
        {
          name: GROUP,
          generation: gen3,
          members: [
            { consumerId: 'a', index: 0, ackedGeneration: gen2, lastRecordId: 29 },
            { consumerId: 'b', index: 1, ackedGeneration: 0 },
            { consumerId: 'c', index: 2, ackedGeneration: 0 },
          ],
        },
      ]);
    } finally {
      clearInterval(beat);
    }
    for (let id = 0n; id < 90n; id++) expect(seen.get(id), `record ${id}`).toHaveLength(1);
    expect(seen.size).toBe(90);
  });

  it('refuses group fields from a client that did not negotiate the capability', async () => {
    const raw = await client();
    const reply = await raw.request('CONSUMER_REGISTER', {
      channel: uniqueName('grp'),
      consumerId: 'x',
      host: 'testhost',
      pid: process.pid,
      group: GROUP,
    });
    expect(reply.body).toMatchObject({ code: 'BAD_REQUEST' });
    expect(String(reply.body.message)).toContain('capability "groups"');
  });

  it('grants only known capabilities and says nothing to a client that asked for none', async () => {
    const raw = new RawClient(broker.endpoint);
    raws.push(raw);
    const plain = await raw.request('HELLO', helloBody('plain', [1]));
    expect(plain.body.capabilities).toBeUndefined();
    const asked = await raw.request('HELLO', {
      ...(helloBody('asks', [1, 2]) as object),
      capabilities: ['groups', 'teleport'],
    });
    expect(asked.body.capabilities).toEqual(['groups']);
  });

  it('answers GROUP_ACK for a consumer outside the group with NOT_A_MEMBER', async () => {
    const raw = await client(['groups']);
    const reply = await raw.request('GROUP_ACK', {
      channel: uniqueName('grp'),
      group: GROUP,
      consumerId: 'nobody',
      generation: 1,
    });
    expect(reply.body).toMatchObject({ code: 'NOT_A_MEMBER' });
  });

  it('gives MessageHub members their share, rebalances them and acknowledges generations', async () => {
    const channel = uniqueName('grp-hub');
    const hubs = [0, 1].map(() => new MessageHub({ endpoint: broker.endpoint, security: { open: true } }));
    try {
      const first = await hubs[0]!.registerConsumer({ channel, consumerId: 'h0', group: GROUP });
      expect(first.share).toMatchObject({ index: 0, size: 1, generation: 1 });
      const rebalanced = new Promise((resolve) => first.once('group-rebalanced', resolve));
      const second = await hubs[1]!.registerConsumer({ channel, consumerId: 'h1', group: GROUP });
      await rebalanced;
      expect(first.share).toMatchObject({ index: 0, size: 2, generation: 2 });
      expect(second.share).toMatchObject({ index: 1, size: 2, generation: 2 });
      expect([0, 1, 2, 3].filter((id) => first.owns(id))).toEqual([0, 2]);
      expect([0n, 1n, 2n, 3n].filter((id) => second.owns(id))).toEqual([1n, 3n]);
      expect(await second.ack(7)).toMatchObject({ generation: 2, index: 1 });
      // The second leaves (deregisters): the first owns everything again.
      const alone = new Promise((resolve) => first.once('group-rebalanced', resolve));
      await second.close();
      await alone;
      expect(first.share).toMatchObject({ index: 0, size: 1, generation: 3 });
    } finally {
      await Promise.all(hubs.map((h) => h.close()));
    }
  });
});
