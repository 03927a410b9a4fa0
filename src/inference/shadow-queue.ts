/**
 * Best-effort work beside the served path (shadow scoring), with the served path first: a task runs
 * only while no served batch is being processed (the stage brackets each batch with servedStarted /
 * servedEnded), one task at a time, so a shadow never competes with served answers for the CPU
 * beyond the one shadow batch already running when a served batch arrives. Tasks are refused when
 * `maxPending` items already wait: under sustained load the shadow scores fewer items (counted as
 * skipped) instead of slowing or queueing behind the served answers.
 */
export class ShadowQueue {
  private readonly tasks: { items: number; run: () => Promise<void> }[] = [];
  private pendingItems = 0;
  private served = 0;
  private running = false;
  private readonly waiters: (() => void)[] = [];

  constructor(readonly maxPending = 256) {}

  /** Schedules `task` for `items` items; false when the queue is full (the caller counts them as skipped). */
  submit(task: () => Promise<void>, items = 1): boolean {
    if (this.pendingItems + items > this.maxPending) return false;
    this.pendingItems += items;
    this.tasks.push({ items, run: task });
    this.kick();
    return true;
  }

  /** A served batch begins: no new shadow task starts until it ends. */
  servedStarted(): void {
    this.served++;
  }

  servedEnded(): void {
    this.served = Math.max(0, this.served - 1);
    this.kick();
  }

  /** Items waiting or being scored. */
  get size(): number {
    return this.pendingItems;
  }

  /** Resolves when nothing is pending (tests, benchmarks, shutdown). */
  idle(): Promise<void> {
    return this.pendingItems === 0 ? Promise.resolve() : new Promise((r) => this.waiters.push(r));
  }

  private kick(): void {
    if (this.running || this.tasks.length === 0) return;
    this.running = true;
    // After the current served batch's answers were handed back (and any batch that starts meanwhile).
    setImmediate(() => void this.drain());
  }

  private async drain(): Promise<void> {
    while (this.served === 0 && this.tasks.length > 0) {
      const t = this.tasks.shift()!;
      try {
        await t.run();
      } catch {
        /* best effort: the task counts its own failures */
      }
      this.pendingItems -= t.items;
      // Let a served batch that arrived meanwhile start before the next shadow task.
      await new Promise((r) => setImmediate(r));
    }
    this.running = false;
    if (this.pendingItems === 0) for (const w of this.waiters.splice(0)) w();
    else if (this.served === 0) this.kick();
  }
}
