// Makes HubScope's own producers findable: a descriptor file per channel in the
// discovery directory, and a producer registration with the MessageHub broker.
// Either may be unavailable; the producer keeps writing its DataBlock regardless
// and the broker registration is retried in the background until it succeeds.
import type { WriterConfig } from '../datablock/writer.js';
import type { ChannelSchema } from '../datablock/schema.js';
import { descriptorInputForDataBlock, dataBlockConfigOf } from '../discovery/datablock-adapter.js';
import { ensureDiscoveryDir } from '../discovery/directory.js';
import { publishDescriptor, type DescriptorHandle } from '../discovery/publish.js';
import { isBrokerUnreachable } from '../discovery/resolve.js';
import { MessageHub, type HubSecurity, type ProducerHandle } from '../hub/index.js';

export interface AnnouncedProducer {
  channel: string;
  shmName: string;
  schema?: ChannelSchema;
  config: WriterConfig;
}

export interface AnnounceOptions {
  producerName: string;
  /** Discovery directory to publish descriptors into; null: none. */
  discoveryDir: string | null;
  /** Broker to register with; null: none. */
  brokerEndpoint: string | null;
  /** Keys for the broker; default: found as MessageHub does (endpoint file, own broker key). */
  security?: HubSecurity;
  /** Told what happened, in words (registered, unreachable, retrying). */
  onNote?: (note: string) => void;
}

export interface Announcement {
  close(): Promise<void>;
}

/** How long to wait between attempts to register with a broker that was unreachable. */
const RETRY_MS = 3000;

export async function announceProducers(
  producers: AnnouncedProducer[],
  options: AnnounceOptions,
): Promise<Announcement> {
  const note = options.onNote ?? (() => undefined);
  const descriptors: DescriptorHandle[] = [];
  if (options.discoveryDir) {
    try {
      ensureDiscoveryDir(options.discoveryDir, false);
      for (const p of producers) {
        descriptors.push(
          publishDescriptor(
            options.discoveryDir,
            descriptorInputForDataBlock({
              channel: p.channel,
              shmName: p.shmName,
              config: p.config,
              ...(p.schema ? { schema: p.schema } : {}),
              producer: { name: options.producerName },
              ...(options.brokerEndpoint ? { brokerEndpoint: options.brokerEndpoint } : {}),
            }),
            { replace: true },
          ),
        );
      }
      note(`descriptors published in ${options.discoveryDir}`);
    } catch (err) {
      note(`descriptors not published: ${(err as Error).message}`);
    }
  }

  const hub = options.brokerEndpoint
    ? MessageHub.forEndpoint(options.brokerEndpoint, {
        connectTimeoutMs: 1000,
        // The broker's key comes from its endpoint file there (docs/security.md).
        ...(options.discoveryDir ? { discoveryDir: options.discoveryDir } : {}),
        ...(options.security ? { security: options.security } : {}),
      })
    : null;
  const registered: ProducerHandle[] = [];
  let retry: NodeJS.Timeout | undefined;
  let closed = false;
  let warnedUnreachable = false;

  async function register(): Promise<void> {
    if (!hub || closed) return;
    const pending = producers.slice(registered.length);
    try {
      for (const p of pending) {
        registered.push(
          await hub.registerProducer({
            channel: p.channel,
            shmName: p.shmName,
            ...(p.schema ? { schemaDefinition: p.schema } : {}),
            config: dataBlockConfigOf(p.config),
            producerName: options.producerName,
          }),
        );
      }
      note(`registered ${producers.length} channel(s) with the broker at ${hub.endpoint}`);
    } catch (err) {
      if (!isBrokerUnreachable(err)) {
        // Refused for a reason retrying cannot fix (channel owned, bad schema): say so once.
        note(`broker at ${hub.endpoint} refused the registration: ${(err as Error).message}`);
        return;
      }
      if (!warnedUnreachable) {
        warnedUnreachable = true;
        note(
          `broker at ${hub.endpoint} is unreachable; registering when it answers (trying every ${RETRY_MS / 1000} s)`,
        );
      }
      retry = setTimeout(() => void register(), RETRY_MS);
      retry.unref();
    }
  }
  await register();

  return {
    async close() {
      closed = true;
      if (retry) clearTimeout(retry);
      await Promise.all(descriptors.map((d) => d.remove()));
      await Promise.all(registered.map((r) => r.close().catch(() => undefined)));
      await hub?.close().catch(() => undefined);
    },
  };
}
