/**
 * Micro-batching across streams: items submitted by concurrent partition handlers are grouped
 * into one model call. A batch is flushed when it reaches `maxBatchSize`, when `maxWaitMs` has
 * passed since its first item, or at once when the runner is idle and `maxWaitMs` is 0.
 * While a batch runs, new items queue up and form the next batch (adaptive batching), so
 * batches grow with load and a lone stream pays no extra wait beyond `maxWaitMs`.
 * Results come back to each submitter in submission order.
 */
export interface MicroBatcherOptions {
  maxBatchSize: number;
  maxWaitMs: number;
  /** Called after each batch with its size (metrics). */
  onBatch?: (size: number, ms: number) => void;
}

interface Pending<I, O> {
  item: I;
  resolve: (o: O) => void;
  reject: (e: unknown) => void;
}

export class MicroBatcher<I, O> {
  private queue: Pending<I, O>[] = [];
  private running = false;
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly runBatch: (items: I[]) => Promise<O[]>,
    private readonly options: MicroBatcherOptions,
  ) {
    if (options.maxBatchSize < 1) throw new Error('maxBatchSize must be at least 1');
  }

  submit(item: I): Promise<O> {
    return new Promise<O>((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      this.schedule();
    });
  }

  submitAll(items: I[]): Promise<O[]> {
    return Promise.all(items.map((i) => this.submit(i)));
  }

  get queued(): number {
    return this.queue.length;
  }

  private schedule(): void {
    if (this.running) return; // the running batch's completion flushes the next one
    if (this.queue.length >= this.options.maxBatchSize || this.options.maxWaitMs <= 0) {
      this.clearTimer();
      setImmediate(() => this.flush());
      return;
    }
    if (!this.timer) this.timer = setTimeout(() => this.flush(), this.options.maxWaitMs);
  }

  private clearTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private async flush(): Promise<void> {
    this.clearTimer();
    if (this.running || this.queue.length === 0) return;
    this.running = true;
    const batch = this.queue.splice(0, this.options.maxBatchSize);
    const started = performance.now();
    try {
      const out = await this.runBatch(batch.map((p) => p.item));
      if (out.length !== batch.length) throw new Error(`batch runner returned ${out.length} results for ${batch.length} items`);
      batch.forEach((p, i) => p.resolve(out[i]));
    } catch (e) {
      for (const p of batch) p.reject(e);
    } finally {
      this.options.onBatch?.(batch.length, performance.now() - started);
      this.running = false;
      if (this.queue.length > 0) {
        // Load is high: what queued during the run goes next, without waiting.
        setImmediate(() => this.flush());
      }
    }
  }
}
