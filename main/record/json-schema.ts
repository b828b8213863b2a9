// The JSON Schema (draft 2020-12) of one DataBlock slot struct, for the MCAP
// schema record (encoding "jsonschema"): Foxglove/Lichtblick and PlotJuggler read
// it to know each field's type, so numeric fields can be plotted.
import type { ChannelSchema, SchemaField } from '../datablock/schema.js';

export type JsonSchema = { [key: string]: unknown };

/** One element's JSON Schema; message values follow main/datablock/json.ts (toJson). */
function elementSchema(f: SchemaField): JsonSchema {
  switch (f.type) {
    case 'bool':
      return { type: 'boolean' };
    case 'int64':
    case 'uint64':
      // Numbers while exact (|v| < 2^53), decimal strings beyond: no silent rounding.
      return { type: ['integer', 'string'] };
    case 'float32':
    case 'float64':
      // NaN and ±Infinity have no JSON number: they are written as the strings "NaN", "Infinity".
      return { type: ['number', 'string'] };
    case 'char':
    case 'string':
      return { type: 'string', maxLength: f.length ?? f.count ?? 1 };
    case 'bytes':
      return { type: 'string', description: `${f.length ?? 0} bytes as lower-case hex` };
    default:
      return { type: 'integer' };
  }
}

function fieldSchema(f: SchemaField): JsonSchema {
  const count = f.count ?? 1;
  if (f.type === 'char' || f.type === 'string' || f.type === 'bytes' || count === 1) return elementSchema(f);
  // A bool array decodes to a Uint8Array, so its elements are written as 0 and 1.
  const items = f.type === 'bool' ? { type: 'integer', minimum: 0, maximum: 1 } : elementSchema(f);
  return { type: 'array', items, maxItems: count };
}

export function jsonSchemaOf(schema: ChannelSchema): JsonSchema {
  const properties: { [name: string]: JsonSchema } = {};
  for (const f of schema.slot.fields) properties[f.name] = fieldSchema(f);
  return {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    title: schema.id,
    ...(schema.description !== undefined ? { description: schema.description } : {}),
    type: 'object',
    properties,
    required: schema.slot.fields.map((f) => f.name),
  };
}
