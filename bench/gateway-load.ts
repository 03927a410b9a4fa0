/**
 * Gateway load benchmark: 200 dashboard WebSocket clients (a few of them never read) while 20
 * streams produce 10 predictions/s each through a fake app. Reports the delivered message rate,
 * the gateway's CPU and memory, and what was shed for the slow clients. Loopback only, bounded
 * in time (GATEWAY_BENCH_SECONDS, default 20). Run: npx tsx bench/gateway-load.ts
 */
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { nodeArgsFor, repoRoot } from '../src/core/paths.js';
import { createGateway } from '../src/gateway/index.js';
import { FakeApp } from '../test/helpers/fake-app.js';
import { runIfExecutedDirectly } from './run-directly.js';

export interface GatewayLoadOptions {
  clients?: number;
  slowClients?: number;
  streams?: number;
  ratePerStream?: number;
  seconds?: number;
}

export async function run(options: GatewayLoadOptions = {}): Promise<object> {
  const clients = options.clients ?? 200;
  const slowClients = options.slowClients ?? 5;
  const streams = options.streams ?? 20;
  const ratePerStream = options.ratePerStream ?? 10;
  const seconds = options.seconds ?? Number(process.env.GATEWAY_BENCH_SECONDS ?? 20);
  const app = new FakeApp({
    streams: Array.from({ length: streams }, (_, i) => ({ id: `s${i}`, media: (i % 4 === 3 ? 'video' : 'audio') as 'audio' | 'video' })),
    ratePerStream,
    frame: 'realistic',
  });
  await app.start();
  const gw = await createGateway(app, { host: '127.0.0.1', port: 0, env: {}, limits: { slowDisconnectMs: 3000 } });
  const child = spawn(process.execPath, [...nodeArgsFor('bench/gateway-load-clients.ts'), `${gw.url.replace('http', 'ws')}/ws`, String(clients), String(slowClients), String(seconds * 1000)], {
    stdio: ['ignore', 'pipe', 'inherit'],
    cwd: repoRoot,
  });
  const lines = createInterface({ input: child.stdout! });
  const next = () => new Promise<Record<string, unknown>>((resolve, reject) => {
    lines.once('line', (l) => resolve(JSON.parse(l) as Record<string, unknown>));
    child.once('exit', (code) => reject(new Error(`load clients exited with ${code}`)));
  });
  try {
    await next(); // ready
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    const before = gw.counters();
    let maxRss = 0;
    let maxHeap = 0;
    let maxBuffered = 0;
    let maxQueued = 0;
    const sampler = setInterval(() => {
      const m = process.memoryUsage();
      maxRss = Math.max(maxRss, m.rss);
      maxHeap = Math.max(maxHeap, m.heapUsed);
      for (const c of gw.counters().perClient) {
        maxBuffered = Math.max(maxBuffered, c.buffered);
        maxQueued = Math.max(maxQueued, c.queued);
      }
    }, 250);
    const result = await next();
    clearInterval(sampler);
    const wall = (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    const after = gw.counters();
    const generatedPerSec = (after.predictionsIn - before.predictionsIn) / wall;
    return {
      setup: { clients, slowClients, streams, ratePerStream, seconds, node: process.version },
      generatedPredictionsPerSec: Math.round(generatedPerSec),
      deliveredPredictionsPerSec: Math.round(result.fastPredictionsPerSec as number),
      deliveredPerFastClientPerSec: Number((result.fastPredictionsPerClientPerSec as number).toFixed(1)),
      deliveryRatio: Number(((result.fastPredictionsPerClientPerSec as number) / generatedPerSec).toFixed(4)),
      deliveredMBPerSec: Number(((result.fastBytesPerSec as number) / 1e6).toFixed(2)),
      gatewayCpuPercent: Number((((cpu.user + cpu.system) / 1e6 / wall) * 100).toFixed(1)),
      gatewayMaxRssMB: Math.round(maxRss / 1e6),
      gatewayMaxHeapMB: Math.round(maxHeap / 1e6),
      slowClientDrops: after.droppedSlow - before.droppedSlow,
      slowClientsDisconnected: clients - after.clients - (result.fastClosed as number),
      videoThumbnailBytes: app.frameBytes(),
      gatewayClientsAtEnd: after.clients,
      fastClientsClosed: result.fastClosed,
      maxSocketBufferedBytes: maxBuffered,
      maxQueuedPredictionsPerClient: maxQueued,
      note: 'gateway and fake app in this process (CPU includes the fake app generating predictions); clients in a child process; loopback',
    };
  } finally {
    child.kill();
    await gw.close();
    await app.stop();
  }
}

runIfExecutedDirectly(import.meta.url, run);
