// Requests the broker has read but not yet handled, served by QoS class (critical
// first) and in arrival order within a class. The receive loop reads everything
// ZeroMQ has ready into this queue before handling, so under a backlog a critical
// request overtakes bulk ones that arrived earlier.
export class PriorityQueue<T> {
  private readonly lanes: T[][];
  private heads: number[];
  private count = 0;

  /** `levels`: how many priorities (0 is served first). */
  constructor(levels: number) {
    this.lanes = Array.from({ length: levels }, () => []);
    this.heads = this.lanes.map(() => 0);
  }

  get size(): number {
    return this.count;
  }

  push(priority: number, item: T): void {
    const lane = Math.min(Math.max(0, Math.trunc(priority)), this.lanes.length - 1);
    this.lanes[lane]!.push(item);
    this.count++;
  }

  /** The oldest item of the highest priority, or undefined when empty. */
  shift(): T | undefined {
    for (let i = 0; i < this.lanes.length; i++) {
      const lane = this.lanes[i]!;
      if (this.heads[i]! < lane.length) {
        const item = lane[this.heads[i]!]!;
        this.heads[i]!++;
        this.count--;
        // Compact a drained lane so that memory does not grow with the traffic served.
        if (this.heads[i] === lane.length) {
          lane.length = 0;
          this.heads[i] = 0;
        }
        return item;
      }
    }
    return undefined;
  }
}
