// Adapts the MessageHub client's ChannelInfo (main/protocol/messages.ts) to the
// small BrokerChannel input of mergeChannels, so the merge does not depend on
// the wire format.
import type { ChannelInfoT } from '../protocol/messages.js';
import type { BrokerChannel } from './merge.js';

export function brokerChannelFromInfo(info: ChannelInfoT): BrokerChannel {
  return {
    channel: info.name,
    state: info.state,
    consumerCount: info.consumerCount,
    ...(info.shmName !== undefined ? { shmName: info.shmName } : {}),
    ...(info.schema ? { schemaFingerprint: info.schema.fingerprint, schemaId: info.schema.id } : {}),
    ...(info.producer
      ? {
          producer: {
            name: info.producer.producerName,
            uid: info.producer.producerUid,
            pid: info.producer.pid,
            host: info.producer.host,
          },
        }
      : {}),
  };
}
