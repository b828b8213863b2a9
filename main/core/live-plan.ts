// What a live view draws from a channel's records, worked out once from its schema:
// which field is the time base, which numbers become plotted series (scalars, and
// each element of a short array), which long arrays are traces and which one is
// an image. Reading a record then costs a few DataView loads, no decoding.
import type { LiveSeriesInfo, LiveTraceInfo } from '../../preload/contract.js';
import { layoutOf, type ChannelSchema, type FieldLayout } from '../datablock/schema.js';

/** Arrays up to this length are plotted element by element (an 8-channel ADC yes, a spectrum no). */
export const MAX_ELEMENTS_AS_SERIES = 16;
const TIME_NAMES = /^(ts|t|time|timestamp|stamp|time_s|timestamp_s)$/i;
const COUNTER_NAMES = /^(seq|sequence|frame|index|id|n)$/i;

type Getter = (view: DataView) => number;

export interface NumericArrayField {
  field: FieldLayout;
  /** Reads one element at a byte offset (of wherever the field's bytes were copied to). */
  read: (view: DataView, at: number) => number;
}

export interface LivePlan {
  time: { field: FieldLayout; read: Getter } | null;
  series: LiveSeriesInfo[];
  readSeries: Getter[];
  traces: { info: LiveTraceInfo; array: NumericArrayField }[];
  image: { width: Getter; height: Getter; pixels: NumericArrayField } | null;
  /** Labels of series that count records (seq, frame): hidden by default beside real signals. */
  counters: string[];
}

function elementReader(f: FieldLayout): ((view: DataView, at: number) => number) | null {
  switch (f.type) {
    case 'bool':
    case 'uint8':
      return (v, at) => v.getUint8(at);
    case 'int8':
      return (v, at) => v.getInt8(at);
    case 'int16':
      return (v, at) => v.getInt16(at, true);
    case 'uint16':
      return (v, at) => v.getUint16(at, true);
    case 'int32':
      return (v, at) => v.getInt32(at, true);
    case 'uint32':
      return (v, at) => v.getUint32(at, true);
    case 'int64':
      return (v, at) => Number(v.getBigInt64(at, true));
    case 'uint64':
      return (v, at) => Number(v.getBigUint64(at, true));
    case 'float32':
      return (v, at) => v.getFloat32(at, true);
    case 'float64':
      return (v, at) => v.getFloat64(at, true);
    default:
      return null; // char, string, bytes: not numbers
  }
}

export function planOf(schema: ChannelSchema, units: Record<string, string>): LivePlan {
  const layout = layoutOf(schema.slot);
  const byName = new Map(layout.fields.map((f) => [f.name, f]));
  const plan: LivePlan = { time: null, series: [], readSeries: [], traces: [], image: null, counters: [] };

  const timeField = layout.fields.find((f) => f.count === 1 && TIME_NAMES.test(f.name) && elementReader(f));
  if (timeField) {
    const read = elementReader(timeField)!;
    plan.time = { field: timeField, read: (v) => read(v, timeField.offset) };
  }
  const width = byName.get('width');
  const height = byName.get('height');
  const readW = width && width.count === 1 ? elementReader(width) : null;
  const readH = height && height.count === 1 ? elementReader(height) : null;

  for (const f of layout.fields) {
    const read = elementReader(f);
    if (!read || f === timeField) continue;
    const unit = units[f.name] ?? null;
    if (f.count === 1) {
      if (f === width || f === height) continue;
      plan.series.push({ label: f.name, field: f.name, element: null, unit });
      plan.readSeries.push((v) => read(v, f.offset));
      if (COUNTER_NAMES.test(f.name)) plan.counters.push(f.name);
    } else if (f.count <= MAX_ELEMENTS_AS_SERIES) {
      for (let k = 0; k < f.count; k++) {
        const at = f.offset + k * f.elemSize;
        plan.series.push({ label: `${f.name}[${k}]`, field: f.name, element: k, unit });
        plan.readSeries.push((v) => read(v, at));
      }
    } else {
      const array: NumericArrayField = { field: f, read };
      // The camera layout: numeric width and height fields and an array of width x height pixels.
      if (!plan.image && readW && readH && width && height) {
        plan.image = {
          width: (v) => readW(v, width.offset),
          height: (v) => readH(v, height.offset),
          pixels: array,
        };
      } else {
        plan.traces.push({ info: { field: f.name, length: f.count, unit }, array });
      }
    }
  }
  return plan;
}
