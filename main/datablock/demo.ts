// Demo producers: realistic lab channels written into DataBlocks so a new user
// sees live data at once. Each channel has a schema file in demo/schemas/.
// The lead's services can register them with the broker / discovery using the
// DemoRun description (channel, shm name, schema, schema path, config).
import { join } from 'node:path';
import { packageRoot } from '../paths.js';
import { loadSchemaFile } from './schema-file.js';
import type { ChannelSchema, EncodableValue } from './schema.js';
import { createDataBlock, type CreateOptions, type DataBlockWriter, type WriterConfig } from './writer.js';

export type DemoChannel = 'waveform' | 'counter' | 'camera' | 'temperature';
export const DEMO_CHANNELS: readonly DemoChannel[] = ['waveform', 'counter', 'camera', 'temperature'];

export interface DemoOptions {
  /** Which producers to start (default all). */
  channels?: readonly DemoChannel[];
  /** Records per second of each channel (defaults: waveform 1000, counter 10, camera 30, temperature 1). */
  rates?: Partial<Record<DemoChannel, number>>;
  /** Appended to every segment name, e.g. "-test-42" (default none: names are the channel ids). */
  nameSuffix?: string;
  /** Identity written into each header. */
  hubUid?: string;
  hubName?: string;
  /**
   * heavy: the chosen channels plus HEAVY_SENSORS small sensor channels at 100 Hz and
   * a 1 kHz channel of 1024-sample float32 records (20 channels with all four standard
   * ones), for load tests such as `npm run bench:ui`.
   */
  profile?: DemoProfile;
}

export type DemoProfile = 'standard' | 'heavy';
export const DEMO_PROFILES: readonly DemoProfile[] = ['standard', 'heavy'];
/** Small channels the heavy profile adds (with the spectrum and the four standard ones: 20). */
export const HEAVY_SENSORS = 15;
export const HEAVY_SPECTRUM_HZ = 1000;
export const HEAVY_SENSOR_HZ = 100;

export interface DemoProducer {
  channel: string;
  /** Shm name without the leading "/". */
  shmName: string;
  schema: ChannelSchema;
  schemaPath: string;
  config: WriterConfig;
  rate: number;
  /** Records committed so far. */
  written(): number;
}

export interface DemoRun {
  producers: DemoProducer[];
  /** Stops the timers and unlinks every segment. Idempotent. */
  stop(): Promise<void>;
}

export const DEFAULT_RATES: Record<DemoChannel, number> = { waveform: 1000, counter: 10, camera: 30, temperature: 1 };

/** Folder of the demo schema files (works from source and from dist/). */
export function demoSchemaDir(): string {
  return join(packageRoot(), 'demo', 'schemas');
}

interface ChannelPlan {
  options: Omit<CreateOptions, 'schema' | 'identity'>;
  /** Produces the record for sequence number n at time tSec (seconds since start). */
  makeRecord: (n: number, tSec: number) => Record<string, EncodableValue>;
  flexZone?: Record<string, EncodableValue>;
}

/** Cheap reproducible noise in [-1, 1). */
function noise(n: number): number {
  const x = Math.sin(n * 12.9898 + 78.233) * 43758.5453;
  return 2 * (x - Math.floor(x)) - 1;
}

function cameraPlan(): ChannelPlan {
  const width = 1024;
  const height = 1024;
  const pixels = new Uint16Array(width * height);
  return {
    options: { capacity: 4, policy: 'RingBuffer', syncPolicy: 'Latest_only', checksumPolicy: 'None' },
    flexZone: { width, height, bit_depth: 12, exposure_us: 8000, sensor: 'HubScope demo sensor' },
    makeRecord: (n) => {
      // A drifting gradient (row fills are native and cheap) plus a bright moving spot.
      for (let y = 0; y < height; y++) {
        pixels.fill(((y + n * 8) & 1023) * 3, y * width, (y + 1) * width);
      }
      const cx = Math.round(width / 2 + (width / 3) * Math.cos(n / 15));
      const cy = Math.round(height / 2 + (height / 3) * Math.sin(n / 15));
      for (let y = Math.max(0, cy - 40); y < Math.min(height, cy + 40); y++) {
        for (let x = Math.max(0, cx - 40); x < Math.min(width, cx + 40); x++) {
          if ((x - cx) ** 2 + (y - cy) ** 2 < 1600) pixels[y * width + x] = 4095;
        }
      }
      return { frame: BigInt(n), ts: Date.now() / 1000, width, height, pixels };
    },
  };
}

const PLANS: Record<DemoChannel, () => ChannelPlan> = {
  waveform: () => {
    const volts = new Float32Array(8);
    return {
      options: { capacity: 1024, policy: 'RingBuffer', syncPolicy: 'Latest_only', checksumPolicy: 'None' },
      makeRecord: (n, t) => {
        for (let k = 0; k < 8; k++)
          volts[k] = Math.sin(2 * Math.PI * (k + 1) * t) * (1 + k * 0.25) + 0.05 * noise(n * 8 + k);
        return { seq: BigInt(n), t, volts };
      },
    };
  },
  counter: () => ({
    options: { capacity: 64, policy: 'RingBuffer', syncPolicy: 'Latest_only', checksumPolicy: 'Enforced' },
    makeRecord: (n) => ({ count: BigInt(n), ts: Date.now() / 1000 }),
  }),
  camera: cameraPlan,
  temperature: () => ({
    options: { capacity: 16, policy: 'RingBuffer', syncPolicy: 'Latest_only', checksumPolicy: 'Enforced' },
    flexZone: {
      cal_offset: [0.12, -0.05, 0.31, 0.0],
      cal_gain: [1.0002, 0.9987, 1.0011, 1.0],
      cal_date: '2026-03-14',
      probe_model: 'PT100 class A, 4-wire',
      serials: 'T-1001,T-1002,T-1003,T-1004',
    },
    makeRecord: (n) => ({
      ts: Date.now() / 1000,
      celsius: [0, 1, 2, 3].map((k) => 21.5 + k * 0.8 + 0.3 * Math.sin(n / 60 + k) + 0.02 * noise(n * 4 + k)),
      status: 0,
    }),
  }),
};

function spectrumPlan(): ChannelPlan {
  const samples = new Float32Array(1024);
  return {
    // Two seconds of records, so a reader that pauses for a moment loses nothing.
    options: { capacity: 2048, policy: 'RingBuffer', syncPolicy: 'Latest_only', checksumPolicy: 'None' },
    makeRecord: (n, t) => {
      let peak = 0;
      for (let k = 0; k < samples.length; k++) {
        const v = Math.sin((2 * Math.PI * k * (4 + Math.sin(t))) / samples.length) + 0.1 * noise(n * 1024 + k);
        samples[k] = v;
        if (Math.abs(v) > peak) peak = Math.abs(v);
      }
      return { seq: BigInt(n), ts: Date.now() / 1000, peak, samples };
    },
  };
}

function sensorPlan(index: number): ChannelPlan {
  return {
    options: { capacity: 256, policy: 'RingBuffer', syncPolicy: 'Latest_only', checksumPolicy: 'None' },
    makeRecord: (n, t) => ({
      ts: Date.now() / 1000,
      pressure: 101.3 + index + 0.5 * Math.sin(t / 3 + index) + 0.02 * noise(n),
      flow: 2 + Math.cos(t / 5 + index) + 0.05 * noise(n + 7),
    }),
  };
}

/** What one producer writes: the channel (and segment) name, its schema file, records and rate. */
interface ProducerSpec {
  /** Channel id; the segment name is this plus the suffix. Null: the schema's id. */
  channel: string | null;
  schemaFile: string;
  plan: ChannelPlan;
  rate: number;
  uidTag: string;
}

function specsFor(options: DemoOptions): ProducerSpec[] {
  const channels = options.channels ?? DEMO_CHANNELS;
  const specs: ProducerSpec[] = channels.map((channel) => {
    const rate = options.rates?.[channel] ?? DEFAULT_RATES[channel];
    if (!(rate > 0 && rate <= 100_000))
      throw new RangeError(`demo rate for ${channel} must be from 0 to 100000 per second, got ${rate}`);
    return { channel: null, schemaFile: `lab.demo.${channel}.json`, plan: PLANS[channel](), rate, uidTag: channel };
  });
  if (options.profile === 'heavy') {
    specs.push({
      channel: null,
      schemaFile: 'lab.heavy.spectrum.json',
      plan: spectrumPlan(),
      rate: HEAVY_SPECTRUM_HZ,
      uidTag: 'spectrum',
    });
    for (let k = 1; k <= HEAVY_SENSORS; k++) {
      const tag = `sensor-${String(k).padStart(2, '0')}`;
      specs.push({
        channel: `lab.heavy.${tag}`,
        schemaFile: 'lab.heavy.sensor.json',
        plan: sensorPlan(k),
        rate: HEAVY_SENSOR_HZ,
        uidTag: tag,
      });
    }
  }
  return specs;
}

/** Starts the demo producers; each writes on a timer, catching up so its average rate is exact. */
export async function startDemoProducers(options: DemoOptions = {}): Promise<DemoRun> {
  const writers: DataBlockWriter[] = [];
  const timers: NodeJS.Timeout[] = [];
  const producers: DemoProducer[] = [];
  let stopped = false;
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    for (const t of timers) clearInterval(t);
    for (const w of writers) w.close();
  };
  try {
    for (const spec of specsFor(options)) {
      const { plan, rate } = spec;
      const schemaPath = join(demoSchemaDir(), spec.schemaFile);
      const schema = await loadSchemaFile(schemaPath);
      const channel = spec.channel ?? schema.id;
      const shmName = `${channel}${options.nameSuffix ?? ''}`;
      const writer = createDataBlock(shmName, {
        ...plan.options,
        schema,
        replaceStale: true,
        identity: {
          hubUid: options.hubUid ?? 'hubscope-demo-hub',
          hubName: options.hubName ?? 'HubScope demo',
          producerUid: `demo-${spec.uidTag}-${process.pid}`,
          producerName: `hubscope demo ${spec.uidTag}`,
        },
      });
      writers.push(writer);
      if (plan.flexZone) writer.setFlexZone(plan.flexZone);
      let n = 0;
      const start = performance.now();
      const tick = (): void => {
        // The process-wide cleanup may have closed the writer on SIGINT before this
        // timer was cleared: stop writing rather than throw.
        if (writer.isClosed) return;
        const due = Math.floor(((performance.now() - start) / 1000) * rate) + 1;
        // Never try to catch up more than a second's worth (e.g. after the machine slept).
        if (due - n > rate) n = due - Math.ceil(rate);
        while (n < due && !stopped) {
          writer.write(plan.makeRecord(n, n / rate));
          n++;
        }
      };
      tick();
      timers.push(setInterval(tick, Math.max(5, Math.min(1000 / rate, 100))));
      producers.push({
        channel,
        shmName: writer.name,
        schema,
        schemaPath,
        config: writer.config,
        rate,
        written: () => n,
      });
    }
  } catch (err) {
    await stop();
    throw err;
  }
  return { producers, stop };
}
