/**
 * Best-effort work beside the served path (shadow scoring): a task starts only after the current
 * batch's answers were handed back to the stage runner (setImmediate), and is refused when
 * `maxPending` tasks are already waiting or running, so a slow shadow sheds items instead of
 * holding up or queueing behind the served answers.
 */
export class ShadowQueue {
  private pending = 0;
  private readonly waiters: (() => void)[] = [];

  constructor(readonly maxPending = 256) {}

  /** Schedules `task`; false when the queue is full (the caller counts the item as skipped). */
  submit(task: () => Promise<void>): boolean {
    if (this.pending >= this.maxPending) return false;
    this.pending++;
    setImmediate(() => {
      task()
        .catch(() => undefined)
        .finally(() => {
          if (--this.pending === 0) for (const w of this.waiters.splice(0)) w();
        });
    });
    return true;
  }

  get size(): number {
    return this.pending;
  }

  /** Resolves when nothing is pending (tests, benchmarks, shutdown). */
  idle(): Promise<void> {
    return this.pending === 0 ? Promise.resolve() : new Promise((r) => this.waiters.push(r));
  }
}
