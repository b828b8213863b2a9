// The app's side of the MessageHub: starts the embedded broker (or uses a remote
// one), stays connected to it as a client, and turns what it learns into the
// contract's BrokerStatus. The broker's own endpoint file is published into the
// discovery directory so producers and other apps find it.
import type {
  AppConnectionMetricsDto,
  BrokerChannelDto,
  BrokerMetricsDto,
  BrokerStatus,
  BrokerTraceEntryDto,
} from '../../preload/contract.js';
import { startBroker, type Broker } from '../broker/index.js';
import { publishBrokerEndpoint, type BrokerEndpointHandle } from '../discovery/index.js';
import { MessageHub, type ConnectionState } from '../hub/index.js';
import { HealthTracker } from '../hub/health.js';
import type { TraceEntry } from '../protocol/trace.js';
import type { ChannelInfoT, ReplyBody } from '../protocol/messages.js';
import { groupFieldsOf } from './group-fields.js';
import { VERSION } from '../version.js';
import type { BrokerChoice } from './options.js';

export const BROKER_OFF: BrokerStatus = {
  mode: 'off',
  endpoint: null,
  connection: 'off',
  rttMs: null,
  bootId: null,
  startedAt: null,
  uptimeMs: null,
  clients: null,
  channels: [],
  schemas: [],
  error: null,
  security: null,
  serverKeyFingerprint: null,
  clientKeyFingerprint: null,
  health: null,
  metrics: null,
  trace: [],
  appConnection: null,
  appTrace: [],
};

/** Trace entries of the embedded broker sent to the view on each refresh. */
const TRACE_SHOWN = 200;

function metricsDto(m: ReplyBody<'METRICS'>): BrokerMetricsDto {
  return {
    requests: m.requests,
    requestsByType: m.requestsByType,
    requestsPerSecond: m.requestsPerSecond,
    errorsByCode: m.errorsByCode,
    notifications: m.notifications,
    dropped: m.dropped,
    sessions: m.sessions,
    registrations: m.registrations,
    bytesIn: m.bytesIn,
    bytesOut: m.bytesOut,
    connections: m.connections.map((c) => ({
      connection: c.connection,
      client: c.client ?? null,
      requests: c.requests,
      errorsByCode: c.errorsByCode,
      bytesIn: c.bytesIn,
      bytesOut: c.bytesOut,
      latencyP50Ms: c.latencyP50Ms,
      latencyP99Ms: c.latencyP99Ms,
    })),
  };
}

/** The app's own connection (MessageHub.metrics()), without the endpoint the status already names. */
function appConnectionDto(hub: MessageHub): AppConnectionMetricsDto {
  const { endpoint: _endpoint, rttSamples: _samples, ...m } = hub.metrics();
  return m;
}

function traceDto(e: TraceEntry): BrokerTraceEntryDto {
  return {
    seq: e.seq,
    at: e.at,
    direction: e.direction,
    connection: e.connection,
    client: e.client ?? null,
    type: e.type,
    correlationId: e.correlationId,
    channel: e.channel ?? null,
    bytes: e.bytes,
    requestType: e.requestType ?? null,
    latencyMs: e.latencyMs ?? null,
    errorCode: e.errorCode ?? null,
  };
}

/** How often the broker is asked for its state (also on every change it reports). */
const POLL_MS = 2000;

function connectionOf(state: ConnectionState): BrokerStatus['connection'] {
  if (state === 'connected') return 'connected';
  if (state === 'connecting' || state === 'reconnecting' || state === 'idle') return 'connecting';
  return 'disconnected';
}

function channelDto(c: ChannelInfoT): BrokerChannelDto {
  return {
    channel: c.name,
    state: c.state,
    shmName: c.shmName ?? null,
    schemaId: c.schema?.id ?? null,
    schemaFingerprint: c.schema?.fingerprint ?? null,
    producer: c.producer
      ? { name: c.producer.producerName, uid: c.producer.producerUid, pid: c.producer.pid, host: c.producer.host }
      : null,
    consumerCount: c.consumerCount,
    ...groupFieldsOf(c),
  };
}

/** What the broker said about security in HELLO_OK (protocol 1 brokers say nothing: open). */
function securityOf(hub: MessageHub): Pick<BrokerStatus, 'security' | 'serverKeyFingerprint' | 'clientKeyFingerprint'> {
  const session = hub.session;
  if (!session) return { security: null, serverKeyFingerprint: null, clientKeyFingerprint: null };
  const s = session.security;
  return {
    security: s?.mode ?? 'open',
    serverKeyFingerprint: s?.serverKeyFingerprint ?? null,
    clientKeyFingerprint: s?.clientKeyFingerprint ?? null,
  };
}

/** Whether a MessageHub broker answers at `endpoint` (a short-lived, unpooled client). */
async function answersAsBroker(endpoint: string): Promise<boolean> {
  const probe = new MessageHub({
    endpoint,
    clientName: 'hubscope-probe',
    connectTimeoutMs: 1000,
    requestTimeoutMs: 1000,
  });
  try {
    await probe.ping({ timeoutMs: 1000 });
    return true;
  } catch {
    return false;
  } finally {
    await probe.close().catch(() => undefined);
  }
}

export class BrokerLink {
  private broker: Broker | undefined;
  private hub: MessageHub | undefined;
  private endpointFile: BrokerEndpointHandle | undefined;
  private timer: NodeJS.Timeout | undefined;
  private refreshing = false;
  private refreshAgain = false;
  private channelInfos: ChannelInfoT[] | undefined;
  private current: BrokerStatus;
  private readonly health = new HealthTracker();

  constructor(
    private readonly choice: BrokerChoice,
    private readonly discoveryDir: string | null,
    private readonly onChange: () => void,
  ) {
    this.current = choice.mode === 'off' ? BROKER_OFF : { ...BROKER_OFF, mode: choice.mode, connection: 'connecting' };
  }

  status(): BrokerStatus {
    return this.current;
  }

  /** The broker's channels, or undefined while it is not reachable (so nothing is compared with it). */
  channels(): ChannelInfoT[] | undefined {
    return this.channelInfos;
  }

  get client(): MessageHub | undefined {
    return this.hub;
  }

  async start(): Promise<void> {
    if (this.choice.mode === 'off') return;
    let endpoint = this.choice.endpoint;
    let mode: BrokerStatus['mode'] = this.choice.mode;
    if (this.choice.mode === 'embedded') {
      try {
        const started = await this.startEmbedded(endpoint);
        if (started.broker) {
          this.broker = started.broker;
          endpoint = started.broker.endpoint;
          this.broker.subscribe(() => this.refresh());
        } else {
          mode = 'remote'; // a broker already serves the configured endpoint: use it
        }
      } catch (err) {
        this.current = { ...this.current, connection: 'disconnected', endpoint, error: (err as Error).message };
        this.onChange();
        return;
      }
    }
    // Keys: the embedded broker's (or a remote one's) key from its endpoint file, this user's client key.
    const hub = MessageHub.forEndpoint(endpoint, {
      clientName: `hubscope-app ${VERSION}`,
      ...(this.discoveryDir ? { discoveryDir: this.discoveryDir } : {}),
    });
    this.hub = hub;
    this.current = { ...this.current, mode, endpoint };
    this.onChange();
    hub.on('state', () => this.refresh());
    hub.on('notification', () => this.refresh());
    hub.on('warning', () => undefined);
    this.timer = setInterval(() => this.refresh(), POLL_MS);
    this.timer.unref();
    this.refresh();
  }

  /**
   * Binds the configured endpoint. When it is taken: by a broker that answers,
   * that broker is used instead (another app or `hubscope broker` runs); by
   * anything else, a free port on the same host is bound.
   */
  private async startEmbedded(endpoint: string): Promise<{ broker: Broker | null }> {
    // Like `hubscope broker`: CURVE with this user's broker key (made on first start),
    // any client key, channels owned by keys. Its key goes into the endpoint file, which
    // is how this user's producers and other apps find it without copying keys.
    const onListening = ({ endpoint: bound, serverKey }: { endpoint: string; serverKey: string | null }) => {
      if (!this.discoveryDir) return;
      try {
        this.endpointFile = publishBrokerEndpoint(this.discoveryDir, {
          endpoint: bound,
          name: 'hubscope-embedded',
          version: VERSION,
          security: serverKey ? 'curve' : 'open',
          ...(serverKey ? { serverKey } : {}),
        });
      } catch {
        // The discovery view reports an unusable directory; the broker works without the file.
      }
    };
    try {
      return { broker: await startBroker({ endpoint, onListening }) };
    } catch (err) {
      if (await answersAsBroker(endpoint)) return { broker: null };
      const fallback = endpoint.replace(/:\d+$/, ':0');
      if (!endpoint.startsWith('tcp://') || fallback === endpoint) throw err;
      return { broker: await startBroker({ endpoint: fallback, onListening }) };
    }
  }

  /** Re-reads the broker's state; coalesces calls that arrive while one is running. */
  private refresh(): void {
    if (this.refreshing) {
      this.refreshAgain = true;
      return;
    }
    this.refreshing = true;
    void this.readState().finally(() => {
      this.refreshing = false;
      if (this.refreshAgain) {
        this.refreshAgain = false;
        this.refresh();
      }
    });
  }

  private async readState(): Promise<void> {
    const hub = this.hub;
    if (!hub) return;
    try {
      const [ping, status, channels, schemas] = await Promise.all([
        hub.ping({ timeoutMs: 1500 }),
        hub.status(),
        hub.listChannels(),
        hub.listSchemas(),
      ]);
      this.channelInfos = channels;
      this.health.record(ping.rttMs);
      // An older broker (no capability "metrics") answers with an error: no metrics, nothing else lost.
      const metrics = await hub.request('METRICS', {}).then(metricsDto, () => null);
      this.current = {
        mode: this.current.mode,
        endpoint: hub.endpoint,
        connection: connectionOf(hub.state),
        rttMs: ping.rttMs,
        bootId: status.bootId,
        startedAt: new Date(status.startedAt).toISOString(),
        uptimeMs: status.uptimeMs,
        clients: status.clients.length,
        channels: channels.map(channelDto),
        schemas: schemas.map((s) => ({ id: s.id, version: s.version, fingerprint: s.fingerprint })),
        error: null,
        ...securityOf(hub),
        health: this.health.health(),
        metrics,
        trace: this.broker?.trace.entries({ limit: TRACE_SHOWN }).map(traceDto) ?? [],
        ...this.appSide(hub),
      };
    } catch (err) {
      this.channelInfos = undefined;
      this.health.record(null);
      this.current = {
        ...this.current,
        endpoint: hub.endpoint,
        connection: connectionOf(hub.state),
        rttMs: null,
        error: (err as Error).message,
        health: this.health.health(),
        metrics: null,
        ...this.appSide(hub),
      };
    }
    this.onChange();
  }

  /** What the app itself counted and traced on its connection (also while the broker is gone). */
  private appSide(hub: MessageHub): Pick<BrokerStatus, 'appConnection' | 'appTrace'> {
    return {
      appConnection: appConnectionDto(hub),
      appTrace: hub.trace({ limit: TRACE_SHOWN }).map(traceDto),
    };
  }

  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.endpointFile?.remove();
    await this.hub?.close().catch(() => undefined);
    await this.broker?.close();
  }
}
