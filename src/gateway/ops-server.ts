import { createHash } from 'node:crypto';
import { Worker } from 'node:worker_threads';
import { metricsText, registry } from '../core/metrics.js';
import { isLoopbackHost, resolveMetricsToken, resolveToken } from './security.js';
import { envValue } from '../core/environment.js';

/**
 * `/healthz` and `/metrics` of a worker process, served off the hot path: the HTTP server runs in
 * its own thread, so it answers while the stage keeps the main thread busy (a batch of TreeSHAP
 * explanations, a burst of decoding). The main thread sends a heartbeat every `heartbeatMs` and
 * answers metric requests; the thread
 * - answers `/healthz` at once: 200 with the stage, uptime and how long ago the main thread last
 *   beat (`mainThreadLagMs`); 503 when it has not beaten for `stuckAfterMs` (a wedged process);
 * - answers `/metrics` with a fresh exposition when the main thread produces one within
 *   `metricsWaitMs`, else with the latest it has (its age in `X-Metrics-Age-Ms` and a comment line),
 *   so a scrape never waits behind the stage.
 * Security follows the gateway's rule: bound beyond loopback it refuses to start without a token,
 * and with a token `/metrics` needs `Authorization: Bearer <token or metrics token>` (compared in
 * constant time, in the thread); `/healthz` stays open (it tells the stage and how alive it is, no
 * data). Bound to loopback, the Host header must be a loopback name (DNS rebinding guard).
 */
export interface OpsServerOptions {
  host: string;
  port: number;
  /** What /healthz names (e.g. the stage). */
  info: Record<string, unknown>;
  heartbeatMs?: number;
  metricsWaitMs?: number;
  stuckAfterMs?: number;
  /** Default: STREAMLENS_TOKEN of `env`. Required beyond loopback. */
  token?: string;
  /** A token that opens /metrics only. Default: STREAMLENS_METRICS_TOKEN of `env`. */
  metricsToken?: string;
  env?: Record<string, string | undefined>;
}

export interface OpsServer {
  url: string;
  close(): Promise<void>;
}

// Plain CommonJS evaluated in the thread: no module loader, so it runs the same under tsx and compiled.
const THREAD_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const http = require('node:http');
const crypto = require('node:crypto');
const accepted = workerData.tokenDigests.map((h) => Buffer.from(h, 'hex'));
function authorised(req) {
  if (accepted.length === 0) return true;
  const m = /^Bearer\\s+(\\S+)\\s*$/i.exec(req.headers.authorization || '');
  if (!m) return false;
  const got = crypto.createHash('sha256').update(m[1]).digest();
  let ok = false;
  for (const d of accepted) ok = crypto.timingSafeEqual(got, d) || ok;
  return ok;
}
function loopbackName(host) {
  const h = String(host || '').replace(/:\\d+$/, '').replace(/^\\[|\\]$/g, '').toLowerCase();
  return h === 'localhost' || h === '::1' || /^127\\./.test(h) || /^::ffff:127\\./.test(h);
}
const started = Date.now();
let lastBeat = Date.now();
let snapshot = '';
let snapshotAt = 0;
let asked = false;
const waiting = new Set();
parentPort.on('message', (m) => {
  if (m.t === 'beat') lastBeat = Date.now();
  else if (m.t === 'metrics') {
    snapshot = m.text; snapshotAt = Date.now(); asked = false;
    for (const w of waiting) w();
    waiting.clear();
  } else if (m.t === 'close') server.close(() => process.exit(0));
});
function freshMetrics() {
  return new Promise((resolve) => {
    const done = () => { clearTimeout(timer); waiting.delete(done); resolve(); };
    const timer = setTimeout(done, workerData.metricsWaitMs);
    waiting.add(done);
    if (!asked) { asked = true; parentPort.postMessage({ t: 'metrics?' }); }
  });
}
const server = http.createServer(async (req, res) => {
  const path = (req.url || '/').split('?')[0];
  if (workerData.loopbackOnly && !loopbackName(req.headers.host)) {
    res.writeHead(403, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify({ error: 'Host header is not a loopback name (DNS rebinding guard)' }));
    return;
  }
  if (path === '/healthz') {
    const lag = Date.now() - lastBeat;
    const ok = lag < workerData.stuckAfterMs;
    const body = JSON.stringify({ ok, ...workerData.info, uptimeSec: Math.round((Date.now() - started) / 1000), mainThreadLagMs: lag, servedBy: 'ops-thread' });
    res.writeHead(ok ? 200 : 503, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store' });
    res.end(body);
    return;
  }
  if (path === '/metrics') {
    if (!authorised(req)) {
      res.writeHead(401, { 'Content-Type': 'application/json', 'WWW-Authenticate': 'Bearer realm="streamlens"' });
      res.end(JSON.stringify({ error: 'a valid token is required for /metrics: send "Authorization: Bearer <token or metrics token>"' }));
      return;
    }
    const asOf = Date.now();
    await freshMetrics();
    const age = snapshotAt ? Math.max(0, asOf - snapshotAt) : -1;
    res.writeHead(snapshotAt ? 200 : 503, { 'Content-Type': workerData.contentType, 'Cache-Control': 'no-store', 'X-Metrics-Age-Ms': String(age) });
    res.end(snapshotAt ? snapshot + (age > 0 ? '# streamlens: snapshot ' + age + ' ms old (the stage kept the main thread busy)\\n' : '') : '# no metrics yet\\n');
    return;
  }
  res.writeHead(404, { 'Content-Type': 'application/json' });
  res.end(JSON.stringify({ error: 'not found: a worker serves /healthz and /metrics only' }));
});
server.on('error', (e) => parentPort.postMessage({ t: 'error', message: e.message }));
server.listen(workerData.port, workerData.host, () => {
  const a = server.address();
  parentPort.postMessage({ t: 'listening', port: a.port });
});
`;

export async function startOpsServer(options: OpsServerOptions): Promise<OpsServer> {
  const heartbeatMs = options.heartbeatMs ?? 250;
  const env = options.env ?? process.env;
  const token = resolveToken(options.host, options.token, envValue('STREAMLENS_TOKEN', env));
  const metricsToken = resolveMetricsToken(options.metricsToken, envValue('STREAMLENS_METRICS_TOKEN', env), token);
  // The thread gets digests only; it hashes what a request presents and compares in constant time.
  const tokenDigests = [token, metricsToken].filter((t): t is string => t !== undefined).map((t) => createHash('sha256').update(t).digest('hex'));
  const worker = new Worker(THREAD_SOURCE, {
    eval: true,
    workerData: {
      host: options.host,
      port: options.port,
      info: options.info,
      contentType: registry.contentType,
      metricsWaitMs: options.metricsWaitMs ?? 400,
      stuckAfterMs: options.stuckAfterMs ?? 30_000,
      tokenDigests,
      loopbackOnly: isLoopbackHost(options.host),
    },
  });
  worker.on('message', (m: { t: string }) => {
    if (m.t !== 'metrics?') return;
    metricsText().then(
      (text) => worker.postMessage({ t: 'metrics', text }),
      (e: Error) => worker.postMessage({ t: 'metrics', text: `# metrics failed: ${e.message}\n` }),
    );
  });
  const port = await new Promise<number>((resolve, reject) => {
    const onMessage = (m: { t: string; port?: number; message?: string }) => {
      if (m.t === 'listening') resolve(m.port!);
      else if (m.t === 'error') reject(new Error(`ops server cannot listen on ${options.host}:${options.port}: ${m.message}`));
      else return;
      worker.off('message', onMessage);
    };
    worker.on('message', onMessage);
    worker.once('error', reject);
  });
  const beat = setInterval(() => worker.postMessage({ t: 'beat' }), heartbeatMs);
  beat.unref();
  worker.unref();
  const host = options.host.includes(':') ? `[${options.host}]` : options.host;
  return {
    url: `http://${host}:${port}`,
    async close() {
      clearInterval(beat);
      const exited = new Promise<void>((r) => worker.once('exit', () => r()));
      worker.postMessage({ t: 'close' });
      const timer = setTimeout(() => void worker.terminate(), 2000);
      await exited;
      clearTimeout(timer);
    },
  };
}
