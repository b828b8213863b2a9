// Reads a recording back: an MCAP file opened with @mcap/core's indexed reader over
// a file handle, with the DataBlock schema and geometry of each recorded channel.
import { open, type FileHandle } from 'node:fs/promises';
import { McapIndexedReader, type IReadable } from '@mcap/core';
import { parseSchema, type ChannelSchema } from '../datablock/schema.js';
import { META_CAPACITY, META_SCHEMA } from './recorder.js';

/** Random access to an open file (what McapIndexedReader reads through). */
export class FileReadable implements IReadable {
  constructor(private readonly file: FileHandle) {}
  async size(): Promise<bigint> {
    return BigInt((await this.file.stat()).size);
  }
  async read(offset: bigint, size: bigint): Promise<Uint8Array> {
    const buf = new Uint8Array(Number(size));
    let done = 0;
    while (done < buf.length) {
      const { bytesRead } = await this.file.read(buf, done, buf.length - done, Number(offset) + done);
      if (bytesRead === 0) throw new Error('the file ended early (truncated recording?)');
      done += bytesRead;
    }
    return buf;
  }
}

export interface RecordedChannel {
  channelId: number;
  topic: string;
  schema: ChannelSchema;
  /** Ring capacity of the recorded segment. */
  capacity: number;
}

export interface Recording {
  path: string;
  reader: McapIndexedReader;
  channels: RecordedChannel[];
  /** The "hubscope.recording" metadata record (counts recorded and lost), empty when absent. */
  metadata(): Promise<Map<string, string>>;
  close(): Promise<void>;
}

/** Opens a recording HubScope made; the error says which file and what is wrong with it. */
export async function openRecording(path: string): Promise<Recording> {
  const file = await open(path, 'r').catch((err: Error) => {
    throw new Error(`cannot open ${path}: ${err.message}`);
  });
  try {
    const reader = await McapIndexedReader.Initialize({ readable: new FileReadable(file) }).catch((err: Error) => {
      throw new Error(`${path} is not a complete, indexed MCAP file: ${err.message}`);
    });
    const channels: RecordedChannel[] = [];
    for (const c of reader.channelsById.values()) {
      const schemaText = c.metadata.get(META_SCHEMA);
      if (schemaText === undefined) {
        throw new Error(`${path}: channel ${c.topic} has no DataBlock schema (not a HubScope recording)`);
      }
      let json: unknown;
      try {
        json = JSON.parse(schemaText);
      } catch {
        throw new Error(`${path}: channel ${c.topic} has a DataBlock schema that is not JSON`);
      }
      const capacity = Number(c.metadata.get(META_CAPACITY) ?? '8');
      channels.push({
        channelId: c.id,
        topic: c.topic,
        schema: parseSchema(json, `${path}: channel ${c.topic}`),
        capacity: Number.isInteger(capacity) && capacity >= 1 && capacity <= 1 << 20 ? capacity : 8,
      });
    }
    return {
      path,
      reader,
      channels,
      async metadata() {
        for await (const m of reader.readMetadata({ name: 'hubscope.recording' })) return m.metadata;
        return new Map();
      },
      close: () => file.close(),
    };
  } catch (err) {
    await file.close();
    throw err;
  }
}
