// A broker channel's consumer groups and QoS class, shaped for the contract
// (BrokerChannelDto, ChannelRow). Shared by the Broker view's list and the Channels rows.
import type { BrokerChannelDto } from '../../preload/contract.js';
import type { ChannelInfoT } from '../protocol/messages.js';

/** A channel's consumer groups and QoS class for the contract (nothing when the broker sent none). */
export function groupFieldsOf(c: ChannelInfoT): Pick<BrokerChannelDto, 'qos' | 'groups'> {
  return {
    ...(c.qos !== undefined ? { qos: c.qos } : {}),
    ...(c.groups
      ? {
          groups: c.groups.map((g) => ({
            name: g.name,
            generation: g.generation,
            members: g.members.map((m) => ({ ...m, lastRecordId: m.lastRecordId ?? null })),
          })),
        }
      : {}),
  };
}
