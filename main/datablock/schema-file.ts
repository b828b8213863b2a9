// Reads a schema JSON file from disk and validates it (errors name the file).
import { readFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { parseSchema, SchemaError, type ChannelSchema } from './schema.js';

function parseText(text: string, path: string): ChannelSchema {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new SchemaError(`${path}: not valid JSON (${(err as Error).message})`);
  }
  return parseSchema(json, path);
}

function readError(path: string, err: unknown): SchemaError {
  return new SchemaError(`${path}: cannot read the schema file (${(err as Error).message})`);
}

/** Loads and validates a schema file. */
export async function loadSchemaFile(path: string): Promise<ChannelSchema> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw readError(path, err);
  }
  return parseText(text, path);
}

/** Synchronous loadSchemaFile, for startup code. */
export function loadSchemaFileSync(path: string): ChannelSchema {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw readError(path, err);
  }
  return parseText(text, path);
}
