import type { Bus } from '../bus/bus.js';

/** One consumer group on one topic. */
export interface LagWatch {
  groupId: string;
  topic: string;
}

/**
 * Polls the summed lag of consumer groups on their topics (e.g. the features stage on video.frames
 * plus the inference stage on video.tensors: every frame not yet turned into a prediction) and
 * shares the last value between every publisher of the same bus and watch list (one round of lag
 * queries per interval, however many streams there are).
 */
export class LagMonitor {
  private static readonly shared = new WeakMap<Bus, Map<string, LagMonitor>>();
  private timer?: NodeJS.Timeout;
  private users = 0;
  private waiters: Array<() => void> = [];
  /** Last lag read (messages); 0 before the first read and when the group has not joined yet. */
  lag = 0;
  lastError?: string;

  private constructor(
    private readonly bus: Bus,
    readonly watches: readonly LagWatch[],
    private readonly intervalMs: number,
  ) {}

  static acquire(bus: Bus, watches: readonly LagWatch[], intervalMs = 50): LagMonitor {
    if (watches.length === 0) throw new Error('LagMonitor needs at least one consumer group to watch');
    let byKey = LagMonitor.shared.get(bus);
    if (!byKey) LagMonitor.shared.set(bus, (byKey = new Map()));
    const key = watches.map((w) => `${w.groupId}\u0000${w.topic}`).join('\u0001');
    let m = byKey.get(key);
    if (!m) byKey.set(key, (m = new LagMonitor(bus, watches, intervalMs)));
    m.users++;
    if (!m.timer) m.start();
    return m;
  }

  release(): void {
    this.users--;
    if (this.users <= 0 && this.timer) {
      clearInterval(this.timer);
      this.timer = undefined;
      const w = this.waiters;
      this.waiters = [];
      w.forEach((f) => f());
    }
  }

  /** Resolves after the next lag reading. */
  nextReading(): Promise<void> {
    return new Promise((r) => this.waiters.push(r));
  }

  private start(): void {
    let busy = false;
    const poll = () => {
      if (busy) return;
      busy = true;
      Promise.all(this.watches.map((w) => this.bus.lag(w.groupId, w.topic))).then(
        (lags) => {
          this.lag = lags.reduce((a, b) => a + b, 0);
          this.lastError = undefined;
        },
        (e: Error) => {
          this.lastError = e.message;
        },
      ).finally(() => {
        busy = false;
        const w = this.waiters;
        this.waiters = [];
        w.forEach((f) => f());
      });
    };
    poll();
    this.timer = setInterval(poll, this.intervalMs);
    this.timer.unref();
  }
}
