// Requests the broker has read but not yet handled, served by QoS class (critical
// first) and, within a class, connection by connection in turn, each connection's in
// arrival order. The receive loop reads ahead into this queue (request-queue.ts), so
// under a backlog a critical request overtakes bulk ones that arrived earlier, and a
// connection that sends many requests at once delays another of the same class by at
// most one of its own per turn, as ZeroMQ's round-robin over connections did before
// the requests were read.
export class PriorityQueue<T> {
  /** Per priority: each key's items in arrival order; the Map's order is the turn order. */
  private readonly lanes: Array<Map<string, T[]>>;
  private readonly counts: number[];
  private count = 0;

  /** `levels`: how many priorities (0 is served first). */
  constructor(levels: number) {
    this.lanes = Array.from({ length: levels }, () => new Map<string, T[]>());
    this.counts = this.lanes.map(() => 0);
  }

  get size(): number {
    return this.count;
  }

  /** How many items of this priority wait. */
  sizeOf(priority: number): number {
    return this.counts[priority] ?? 0;
  }

  /** Queues an item; `key` (the connection) takes turns with the other keys of its priority. */
  push(priority: number, item: T, key = ''): void {
    const level = Math.min(Math.max(0, Math.trunc(priority)), this.lanes.length - 1);
    const lane = this.lanes[level]!;
    const items = lane.get(key);
    if (items) items.push(item);
    else lane.set(key, [item]);
    this.counts[level]!++;
    this.count++;
  }

  /** The next item of the highest priority (the next key's oldest), or undefined when empty. */
  shift(): T | undefined {
    for (let i = 0; i < this.lanes.length; i++) {
      const lane = this.lanes[i]!;
      const first = lane.entries().next();
      if (first.done) continue;
      const [key, items] = first.value;
      const item = items.shift()!;
      // This key's turn is over: to the back of the line, or out when it has no more.
      lane.delete(key);
      if (items.length > 0) lane.set(key, items);
      this.counts[i]!--;
      this.count--;
      return item;
    }
    return undefined;
  }
}
