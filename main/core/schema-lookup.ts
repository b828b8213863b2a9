// Finds the schema to decode a segment's records with, in order: a file the user
// named, the discovery descriptor that points at the segment (inline schema), the
// broker's registry for the channel registered on that segment. The same lookup
// serves the UI (through the contract) and `hubscope inspect`.
import { join } from 'node:path';
import { ApiError } from '../../preload/contract.js';
import { loadSchemaFileWithin } from '../datablock/schema-file.js';
import { parseSchema } from '../datablock/schema.js';
import { normaliseShmName } from '../discovery/merge.js';
import type { DiscoveryEntry } from '../discovery/model.js';
import type { MessageHub } from '../hub/index.js';
import { packageRoot } from '../paths.js';
import type { ChannelInfoT } from '../protocol/messages.js';
import type { SchemaInHand } from './inspect-datablock.js';
import type { ServiceOptions } from './options.js';

export interface SchemaSources {
  files: DiscoveryEntry[];
  brokerChannels: ChannelInfoT[] | undefined;
  hub: MessageHub | undefined;
  /** Folders a named schema file may be read from (see allowedSchemaDirs); none: no file is read. */
  schemaDirs: readonly string[];
}

/**
 * Where a client may point the inspector's "decode with a schema file": the
 * discovery directory, HubScope's demo schemas and the folders named with
 * --schema-dir. Any other path is refused without being looked at.
 */
export function allowedSchemaDirs(services: Pick<ServiceOptions, 'discovery' | 'schemaDirs'>): string[] {
  return [
    ...(services.discovery ? [services.discovery.dir] : []),
    join(packageRoot(), 'demo', 'schemas'),
    ...(services.schemaDirs ?? []),
  ];
}

export async function lookUpSchema(
  shmName: string,
  schemaPath: string | undefined,
  sources: SchemaSources,
): Promise<SchemaInHand | null> {
  if (schemaPath) {
    try {
      return { schema: await loadSchemaFileWithin(schemaPath, sources.schemaDirs), source: `file ${schemaPath}` };
    } catch (err) {
      throw new ApiError('BAD_REQUEST', (err as Error).message);
    }
  }
  const bare = normaliseShmName(shmName);
  const entry = sources.files.find((e) => e.schema && normaliseShmName(e.descriptor.shmName) === bare);
  if (entry?.schema) return { schema: entry.schema, source: `discovery file ${entry.file}` };

  const channel = sources.brokerChannels?.find((c) => c.schema && c.shmName && normaliseShmName(c.shmName) === bare);
  if (channel?.schema && sources.hub) {
    try {
      const reply = await sources.hub.getSchema(channel.schema.id, channel.schema.version);
      return { schema: parseSchema(reply.schema, `broker schema ${channel.schema.id}`), source: 'broker registry' };
    } catch {
      return null; // broker gone or schema removed: show raw bytes
    }
  }
  return null;
}
