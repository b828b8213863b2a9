// The JSON Schema documents of the discovery files, generated from the TypeBox
// definitions in format.ts. docs/discovery/*.json hold the same text; a test
// fails when they drift. Regenerate: npx tsx main/discovery/json-schema-files.ts --write
// (then `npx prettier --write docs/discovery` to match the repository's formatting).
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { packageRoot } from '../paths.js';
import { BrokerEndpointSchema, ChannelDescriptorSchema } from './format.js';

export interface JsonSchemaFile {
  /** Path relative to the package root. */
  path: string;
  text: string;
}

function text(schema: object): string {
  return JSON.stringify({ $schema: 'https://json-schema.org/draft/2020-12/schema', ...schema }, null, 2) + '\n';
}

export function discoveryJsonSchemaFiles(): JsonSchemaFile[] {
  return [
    { path: 'docs/discovery/channel-descriptor.schema.json', text: text(ChannelDescriptorSchema) },
    { path: 'docs/discovery/broker-endpoint.schema.json', text: text(BrokerEndpointSchema) },
  ];
}

if (process.argv[1] === fileURLToPath(import.meta.url) && process.argv.includes('--write')) {
  for (const f of discoveryJsonSchemaFiles()) {
    writeFileSync(join(packageRoot(), f.path), f.text);
    console.log(`wrote ${f.path}`);
  }
}
