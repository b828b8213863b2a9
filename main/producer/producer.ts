// A HubScope producer in one call: the DataBlock (createDataBlock) plus its
// announcement (descriptor file, broker registration), closed together.
import type { ChannelSchema, EncodableValue } from '../datablock/schema.js';
import { createDataBlock, type CreateOptions, type DataBlockWriter, type WriteOptions } from '../datablock/writer.js';
import { announceProducers, type AnnounceOptions } from './announce.js';

export interface ProducerOptions extends CreateOptions, Partial<Omit<AnnounceOptions, 'producerName'>> {
  /** Channel name (default: the schema id, else the segment name). */
  channel?: string;
  /** Shown by the broker and in descriptor files (default "hubscope producer"). */
  producerName?: string;
}

export interface Producer {
  readonly channel: string;
  readonly writer: DataBlockWriter;
  /** Writes and commits one record (see DataBlockWriter.write; `{ stamp: true }` checksums it under Manual). */
  write(record: Readonly<Record<string, EncodableValue | undefined>>, options?: WriteOptions): boolean;
  /** Deregisters, removes the descriptor and unlinks the segment. */
  close(): Promise<void>;
}

export async function createProducer(shmName: string, options: ProducerOptions = {}): Promise<Producer> {
  const writer = createDataBlock(shmName, options);
  const schema: ChannelSchema | undefined = options.schema;
  const channel = options.channel ?? schema?.id ?? writer.name;
  try {
    const announcement = await announceProducers(
      [{ channel, shmName: writer.name, config: writer.config, ...(schema ? { schema } : {}) }],
      {
        producerName: options.producerName ?? 'hubscope producer',
        discoveryDir: options.discoveryDir ?? null,
        brokerEndpoint: options.brokerEndpoint ?? null,
        ...(options.security ? { security: options.security } : {}),
        ...(options.onNote ? { onNote: options.onNote } : {}),
      },
    );
    return {
      channel,
      writer,
      write: (record, writeOptions) => writer.write(record, writeOptions),
      async close() {
        await announcement.close();
        writer.close();
      },
    };
  } catch (err) {
    writer.close();
    throw err;
  }
}
