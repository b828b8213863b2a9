// Discovery with real DataBlocks in /dev/shm: a producer made with
// createDataBlock publishes its descriptor; the merge sees file + segment agree,
// and flags a segment nobody describes.
import { afterEach, describe, expect, it } from 'vitest';
import { createDataBlock, listDataBlocks, type DataBlockWriter } from '../../main/datablock/index.js';
import { fingerprintOf, parseSchema } from '../../main/datablock/schema.js';
import { descriptorInputForDataBlock, segmentSummaryOf } from '../../main/discovery/datablock-adapter.js';
import { mergeChannels } from '../../main/discovery/merge.js';
import { publishDescriptor } from '../../main/discovery/publish.js';
import { scanDiscoveryDir } from '../../main/discovery/scan.js';
import { runId } from '../support/run-marker.js';
import { makeTempDir, removeDir, sampleInput } from './discovery-helpers.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()?.();
});

function segment(name: string, schema?: ReturnType<typeof parseSchema>): DataBlockWriter {
  const w = createDataBlock(`/${name}`, {
    ...(schema ? { schema } : { slotSize: 64 }),
    capacity: 4,
    policy: 'RingBuffer',
  });
  cleanups.push(() => w.close());
  return w;
}

describe('discovery with real DataBlock segments', () => {
  it('a createDataBlock producer publishes a descriptor; merge finds file and segment in agreement', async () => {
    const dir = makeTempDir('db');
    cleanups.push(() => removeDir(dir));
    const tag = `${runId()}-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
    const schema = parseSchema(sampleInput('x').schema!.definition);
    const described = `hubscope-disc-described-${tag}`;
    const orphan = `hubscope-disc-orphan-${tag}`;
    const writer = segment(described, schema);
    segment(orphan);

    const handle = publishDescriptor(
      dir,
      descriptorInputForDataBlock({
        channel: `lab.${tag}`,
        shmName: `/${described}`,
        schema,
        config: writer.config,
        producer: { name: 'test' },
      }),
      { heartbeatIntervalMs: 0 },
    );
    cleanups.push(() => handle.remove());
    expect(handle.descriptor.dataBlock).toMatchObject({
      policy: 'RingBuffer',
      capacity: 4,
      slotSize: writer.config.slotSize,
    });

    const files = (await scanDiscoveryDir(dir)).entries;
    const segments = listDataBlocks()
      .filter((s) => s.name.includes(tag))
      .map(segmentSummaryOf);
    expect(segments).toHaveLength(2);
    const rows = mergeChannels({ files, segments });
    const row = rows.find((r) => r.channel === `lab.${tag}`)!;
    expect(row.sources).toEqual(['file', 'shm']);
    expect(row.state).toBe('live');
    expect(row.shmName).toBe(described);
    expect(row.issues).toEqual([]);
    const orphanRow = rows.find((r) => r.channel === orphan)!;
    expect(orphanRow.sources).toEqual(['shm']);
    expect(orphanRow.issues).toEqual([`segment /dev/shm/${orphan} has no descriptor file and no broker registration`]);

    // The segment goes away: the (still live) file now points at nothing.
    writer.close();
    const after = mergeChannels({
      files,
      segments: listDataBlocks()
        .filter((s) => s.name.includes(tag))
        .map(segmentSummaryOf),
    });
    expect(after.find((r) => r.channel === `lab.${tag}`)!.issues).toEqual([
      `descriptor file ${files[0]!.file} names segment /dev/shm/${described}, which does not exist on this host`,
    ]);
  });
  it('flags a segment whose header hash disagrees with the schema its descriptor gives, naming both', async () => {
    const dir = makeTempDir('db-mismatch');
    cleanups.push(() => removeDir(dir));
    const tag = `${runId()}-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
    const written = parseSchema(sampleInput('x').schema!.definition);
    const claimed = parseSchema({
      id: 'claimed',
      version: 1,
      slot: { packing: 'aligned', fields: [{ name: 'v', type: 'float32' }] },
    });
    const name = `hubscope-disc-mismatch-${tag}`;
    const writer = segment(name, written);
    const handle = publishDescriptor(
      dir,
      descriptorInputForDataBlock({
        channel: `lab.${tag}`,
        shmName: `/${name}`,
        schema: claimed,
        config: writer.config,
      }),
      { heartbeatIntervalMs: 0 },
    );
    cleanups.push(() => handle.remove());
    const rows = mergeChannels({
      files: (await scanDiscoveryDir(dir)).entries,
      segments: listDataBlocks()
        .filter((s) => s.name.includes(tag))
        .map(segmentSummaryOf),
    });
    const issues = rows.find((r) => r.channel === `lab.${tag}`)!.issues;
    expect(issues).toContain(
      `segment /dev/shm/${name} has slot schema hash ${fingerprintOf(written.slot)} in its header, but the file says ${fingerprintOf(claimed.slot)}`,
    );
  });
});
