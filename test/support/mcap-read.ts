// Reading back what a recording holds, for the recording tests (unit and end to end):
// every message with its topic, id and decoded fields (CRCs checked), the recording's
// metadata, and the reader itself for what only it knows (schemas, chunk indexes).
import { open } from 'node:fs/promises';
import { McapIndexedReader } from '@mcap/core';
import { FileReadable } from '../../main/record/recording-file.js';

export interface RecordedMessage {
  topic: string;
  /** The record id (mod 2^32). */
  sequence: number;
  logTime: bigint;
  fields: Record<string, unknown>;
}

export interface Recording {
  messages: RecordedMessage[];
  /** The `hubscope.recording` metadata record (empty when there is none). */
  metadata: Map<string, string>;
  topics: string[];
  reader: McapIndexedReader;
}

export async function readRecording(path: string): Promise<Recording> {
  const file = await open(path, 'r');
  try {
    const reader = await McapIndexedReader.Initialize({ readable: new FileReadable(file) });
    const messages: RecordedMessage[] = [];
    for await (const m of reader.readMessages({ validateCrcs: true })) {
      messages.push({
        topic: reader.channelsById.get(m.channelId)?.topic ?? '?',
        sequence: m.sequence,
        logTime: m.logTime,
        fields: JSON.parse(new TextDecoder().decode(m.data)) as Record<string, unknown>,
      });
    }
    let metadata = new Map<string, string>();
    for await (const md of reader.readMetadata({ name: 'hubscope.recording' })) metadata = md.metadata;
    return { messages, metadata, topics: [...reader.channelsById.values()].map((c) => c.topic), reader };
  } finally {
    await file.close();
  }
}

/** The record ids of a recording, in order. */
export async function recordIdsIn(path: string): Promise<number[]> {
  return (await readRecording(path)).messages.map((m) => m.sequence);
}

/** The demo counter's `count` of each recorded message, in order, and the metadata's `lost`. */
export async function countsIn(
  path: string,
): Promise<{ counts: number[]; topics: string[]; lost: string | undefined }> {
  const r = await readRecording(path);
  return { counts: r.messages.map((m) => m.fields.count as number), topics: r.topics, lost: r.metadata.get('lost') };
}
