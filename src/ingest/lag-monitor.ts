import type { Bus } from '../bus/bus.js';

/**
 * Polls a consumer group's lag on a topic and shares the last value between every publisher of
 * the same bus, group and topic (one lag query per interval, however many streams there are).
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
    readonly groupId: string,
    readonly topic: string,
    private readonly intervalMs: number,
  ) {}

  static acquire(bus: Bus, groupId: string, topic: string, intervalMs = 50): LagMonitor {
    let byKey = LagMonitor.shared.get(bus);
    if (!byKey) LagMonitor.shared.set(bus, (byKey = new Map()));
    const key = `${groupId}\u0000${topic}`;
    let m = byKey.get(key);
    if (!m) byKey.set(key, (m = new LagMonitor(bus, groupId, topic, intervalMs)));
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
      this.bus.lag(this.groupId, this.topic).then(
        (lag) => {
          this.lag = lag;
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
