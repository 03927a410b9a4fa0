import { describe, expect, it } from 'vitest';
import { PredictionDeduplicator } from '../../src/app/app.js';
import { startOpsServer } from '../../src/gateway/ops-server.js';

/** Keeps the main thread busy (as a stage scoring a large batch would) for `ms`. */
function blockMainThread(ms: number): void {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    /* spin */
  }
}

describe('worker /healthz and /metrics, served off the hot path', () => {
  it('answer within 1 s while the main thread is blocked for 3 s, and say how stale the main thread is', async () => {
    const ops = await startOpsServer({ host: '127.0.0.1', port: 0, info: { stage: 'test:stage' }, heartbeatMs: 50, metricsWaitMs: 300 });
    try {
      // Warm: one fresh metrics exposition while the main thread is free.
      const first = await fetch(`${ops.url}/metrics`);
      expect(first.status).toBe(200);
      expect(await first.text()).toMatch(/streamlens_process_/);
      // The requests run in a child process so they are timed by a clock the blocked thread does not own.
      const { spawn } = await import('node:child_process');
      const probe = spawn(process.execPath, [
        '-e',
        `(async () => { await new Promise(r => setTimeout(r, 500)); const out = [];
          for (const p of ['/healthz', '/metrics']) { const t = Date.now(); const r = await fetch(${JSON.stringify(ops.url)} + p);
            const body = await r.text(); out.push({ p, status: r.status, ms: Date.now() - t, age: r.headers.get('x-metrics-age-ms'), body: p === '/healthz' ? JSON.parse(body) : body.length }); }
          console.log(JSON.stringify(out)); })()`,
      ]);
      let stdout = '';
      probe.stdout.on('data', (d) => (stdout += d));
      const exited = new Promise<number>((r) => probe.on('exit', (c) => r(c ?? 1)));
      await new Promise((r) => setTimeout(r, 150));
      blockMainThread(3000);
      expect(await exited).toBe(0);
      const [health, metrics] = JSON.parse(stdout) as { p: string; status: number; ms: number; age: string | null; body: { ok: boolean; stage: string; mainThreadLagMs: number } | number }[];
      expect(health.status).toBe(200);
      expect(health.ms).toBeLessThan(1000);
      const h = health.body as { ok: boolean; stage: string; mainThreadLagMs: number };
      expect(h.stage).toBe('test:stage');
      expect(h.mainThreadLagMs).toBeGreaterThan(200);
      expect(metrics.status).toBe(200);
      expect(metrics.ms).toBeLessThan(1000);
      expect(Number(metrics.age)).toBeGreaterThan(0); // the last snapshot, not a fresh one: the main thread was busy
      await new Promise((r) => setTimeout(r, 300)); // the main thread beats again once it is free
      const after = await fetch(`${ops.url}/healthz`);
      expect(((await after.json()) as { mainThreadLagMs: number }).mainThreadLagMs).toBeLessThan(1000);
      expect((await fetch(`${ops.url}/api/streams`)).status).toBe(404);
    } finally {
      await ops.close();
    }
  });
});

describe('PredictionDeduplicator (the gateway shows each input once)', () => {
  it('drops a repeated (stream, kind, seq), keeps other kinds and streams, and forgets a restarted stream', () => {
    const d = new PredictionDeduplicator(3);
    const p = (streamId: string, seq: number, kind: 'audio' | 'course' = 'course') => ({ streamId, kind, seq });
    expect(d.first(p('a', 1))).toBe(true);
    expect(d.first(p('a', 1))).toBe(false);
    expect(d.first(p('a', 1, 'audio'))).toBe(true);
    expect(d.first(p('b', 1))).toBe(true);
    expect(d.repeats).toBe(1);
    d.forget('a');
    expect(d.first(p('a', 1))).toBe(true);
    // Bounded: the oldest seqs of a stream are forgotten.
    for (const seq of [2, 3, 4]) d.first(p('a', seq));
    expect(d.first(p('a', 1))).toBe(true);
  });
});
