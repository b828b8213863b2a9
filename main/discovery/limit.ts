// A small work queue that runs at most `concurrency` async jobs at once, so a
// directory of thousands of files never opens thousands of files at once.
export class WorkQueue {
  private running = 0;
  // An array with a head index: shift() on 10,000 queued reads would be quadratic.
  private waiting: (() => Promise<void>)[] = [];
  private head = 0;
  private idleWaiters: (() => void)[] = [];

  constructor(private readonly concurrency: number) {}

  get size(): number {
    return this.running + this.waiting.length - this.head;
  }

  /** Queues a job; its rejection is swallowed (jobs report their own failures). */
  push(job: () => Promise<void>): void {
    this.waiting.push(job);
    this.pump();
  }

  /** Resolves when nothing runs and nothing waits. */
  idle(): Promise<void> {
    if (this.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private pump(): void {
    while (this.running < this.concurrency && this.head < this.waiting.length) {
      const job = this.waiting[this.head++] as () => Promise<void>;
      if (this.head === this.waiting.length) {
        this.waiting = [];
        this.head = 0;
      }
      this.running++;
      void job()
        .catch(() => undefined)
        .finally(() => {
          this.running--;
          this.pump();
          if (this.size === 0) {
            const waiters = this.idleWaiters;
            this.idleWaiters = [];
            for (const w of waiters) w();
          }
        });
    }
  }
}

/** Maps over items with bounded concurrency, keeping order. */
export async function mapLimit<T, R>(
  items: readonly T[],
  concurrency: number,
  fn: (item: T) => Promise<R>,
): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
  return out;
}
