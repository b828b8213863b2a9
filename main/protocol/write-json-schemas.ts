// `npm run gen:protocol-docs`: regenerates docs/protocol/*.json and the message
// reference section of docs/protocol.md from the TypeBox definitions, and removes
// stale files, so the docs cannot drift from the code (a test checks both).
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../paths.js';
import { protocolSchemaFiles, withMessageReference } from './json-schemas.js';

const docs = join(packageRoot(), 'docs');
const dir = join(docs, 'protocol');
mkdirSync(dir, { recursive: true });
const files = protocolSchemaFiles();
for (const existing of readdirSync(dir)) {
  if (existing.endsWith('.json') && !files.has(existing)) rmSync(join(dir, existing));
}
for (const [name, text] of files) writeFileSync(join(dir, name), text);
const md = join(docs, 'protocol.md');
writeFileSync(md, withMessageReference(readFileSync(md, 'utf8')));
console.log(`wrote ${files.size} files to ${dir} and the message reference in ${md}`);
