// Consumer groups of channels (capability "groups", docs/protocol.md "Consumer groups").
// Members of a group split a channel's records: member `index` of `size` owns the
// record ids with id mod size == index. Every join, leave or death starts a new
// generation (rebalance) whose shares the broker sends to every member. Shares follow
// join order, so they stay the same while membership does. Knows nothing about
// sockets or sessions: callers send the shares it returns.
import type { GroupInfoT, GroupShareT } from '../protocol/messages.js';
import { BrokerError } from './broker-error.js';

interface Group {
  name: string;
  generation: number;
  /** Consumer ids in join order: the position is the share index. */
  members: string[];
  ackedGeneration: Map<string, number>;
  lastRecordId: Map<string, number>;
}

export class ConsumerGroups {
  /** channel → group name → group. */
  private readonly byChannel = new Map<string, Map<string, Group>>();

  /** Adds a member (a new generation) and returns every member's share; a member already in it changes nothing. */
  join(channel: string, group: string, consumerId: string): GroupShareT[] {
    let groups = this.byChannel.get(channel);
    if (!groups) {
      groups = new Map();
      this.byChannel.set(channel, groups);
    }
    let g = groups.get(group);
    if (!g) {
      g = { name: group, generation: 0, members: [], ackedGeneration: new Map(), lastRecordId: new Map() };
      groups.set(group, g);
    }
    if (g.members.includes(consumerId)) return [];
    g.members.push(consumerId);
    g.generation++;
    return this.shares(channel, g);
  }

  /** Removes a member; returns the remaining members' shares in the new generation (none when the group empties). */
  leave(channel: string, group: string, consumerId: string): GroupShareT[] {
    const groups = this.byChannel.get(channel);
    const g = groups?.get(group);
    if (!groups || !g) return [];
    const at = g.members.indexOf(consumerId);
    if (at < 0) return [];
    g.members.splice(at, 1);
    g.ackedGeneration.delete(consumerId);
    g.lastRecordId.delete(consumerId);
    if (g.members.length === 0) {
      groups.delete(group);
      if (groups.size === 0) this.byChannel.delete(channel);
      return [];
    }
    g.generation++;
    return this.shares(channel, g);
  }

  /** The channel is gone: its groups end without a rebalance (every member is being dropped). */
  dropChannel(channel: string): void {
    this.byChannel.delete(channel);
  }

  /** One member's current share. */
  share(channel: string, group: string, consumerId: string): GroupShareT | undefined {
    const g = this.byChannel.get(channel)?.get(group);
    const index = g?.members.indexOf(consumerId) ?? -1;
    if (!g || index < 0) return undefined;
    return { channel, group, consumerId, generation: g.generation, index, size: g.members.length };
  }

  /**
   * GROUP_ACK: the member confirms it acts on `generation`. An older generation gets
   * STALE_GENERATION carrying the current share, so the member can switch at once.
   */
  ack(channel: string, group: string, consumerId: string, generation: number, lastRecordId?: number): GroupShareT {
    const share = this.share(channel, group, consumerId);
    if (!share) {
      throw new BrokerError(
        'NOT_A_MEMBER',
        `consumer ${JSON.stringify(consumerId)} is not a member of group ${JSON.stringify(group)} on channel ${JSON.stringify(channel)}`,
        { channel, group, consumerId },
      );
    }
    if (generation !== share.generation) {
      throw new BrokerError(
        'STALE_GENERATION',
        `group ${JSON.stringify(group)} on channel ${JSON.stringify(channel)} is at generation ${share.generation}; consumer ${JSON.stringify(consumerId)} acted on generation ${generation}`,
        { ...share },
      );
    }
    const g = this.byChannel.get(channel)!.get(group)!;
    g.ackedGeneration.set(consumerId, generation);
    if (lastRecordId !== undefined) g.lastRecordId.set(consumerId, lastRecordId);
    return share;
  }

  /** The groups of a channel for ChannelInfo (undefined when it has none). */
  info(channel: string): GroupInfoT[] | undefined {
    const groups = this.byChannel.get(channel);
    if (!groups || groups.size === 0) return undefined;
    return [...groups.values()]
      .sort((a, b) => a.name.localeCompare(b.name))
      .map((g) => ({
        name: g.name,
        generation: g.generation,
        members: g.members.map((consumerId, index) => {
          const last = g.lastRecordId.get(consumerId);
          return {
            consumerId,
            index,
            ackedGeneration: g.ackedGeneration.get(consumerId) ?? 0,
            ...(last !== undefined ? { lastRecordId: last } : {}),
          };
        }),
      }));
  }

  private shares(channel: string, g: Group): GroupShareT[] {
    const size = g.members.length;
    return g.members.map((consumerId, index) => ({
      channel,
      group: g.name,
      consumerId,
      generation: g.generation,
      index,
      size,
    }));
  }
}
