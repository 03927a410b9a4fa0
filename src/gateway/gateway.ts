import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { join } from 'node:path';
import { WebSocketServer, type WebSocket } from 'ws';
import type { AppContext } from '../core/app-context.js';
import type { Prediction } from '../bus/envelope.js';
import { childLogger } from '../core/logger.js';
import { registry } from '../core/metrics.js';
import { repoRoot } from '../core/paths.js';
import { CLOSE, closeWith } from './close-codes.js';
import { DashboardClient, type DashboardClientLimits } from './dashboard-client.js';
import { gatewayMetrics } from './gateway-metrics.js';
import { HttpError, sendError, sendJson } from './http-util.js';
import { parseIngestQuery, serveIngestSocket, type IngestLimits } from './ingest-socket.js';
import { handleApi, type RestLimits } from './rest-api.js';
import { hostHeaderAllowed, isLoopbackHost, originAllowed, presentedToken, resolveToken, tokenMatches } from './security.js';
import { dashboardCacheControl, safeResolve, serveFile } from './static-files.js';

const log = childLogger({ component: 'gateway' });

export interface GatewayLimits extends DashboardClientLimits, IngestLimits, RestLimits {
  /** Largest text control message on /ws. */
  maxControlBytes: number;
}

export const DEFAULT_LIMITS: GatewayLimits = {
  maxQueuedPerStream: 20,
  maxBufferedBytes: 1 << 20,
  slowDisconnectMs: 15_000,
  maxControlPerSec: 20,
  maxControlBytes: 64 * 1024,
  maxMessageBytes: 1 << 20,
  maxBytesPerSec: 2 << 20,
  maxMessagesPerSec: 50,
  maxInFlight: 16,
  maxJsonBytes: 64 * 1024,
  maxCoursesBytes: 8 << 20,
};

export interface GatewayOptions {
  /** Default: config.gateway.host (127.0.0.1). */
  host?: string;
  /** Default: config.gateway.port; 0 picks a free port. */
  port?: number;
  /** Default: config.gateway.token, else STREAMLENS_TOKEN. */
  token?: string;
  allowedOrigins?: string[];
  /** The built dashboard. Default: <repo>/dashboard/dist. */
  dashboardDir?: string;
  /** The course analysis report folder, served at /reports/courses/. Default: <repo>/reports/courses. */
  courseReportDir?: string;
  /** How often stats (and stream-list changes) are pushed. Default 1000 ms. */
  statsIntervalMs?: number;
  limits?: Partial<GatewayLimits>;
  /** Environment for STREAMLENS_TOKEN (tests pass their own). Default: process.env. */
  env?: Record<string, string | undefined>;
}

export interface GatewayCounters {
  predictionsIn: number;
  predictionsSent: number;
  droppedSlow: number;
  clients: number;
  ingestConnections: number;
  /** Per dashboard client: bytes in its socket buffer and predictions queued for it. */
  perClient: { buffered: number; queued: number; sent: number; dropped: number }[];
}

export interface Gateway {
  server: Server;
  url: string;
  /** Live counters (for benchmarks and tests; Prometheus has the same under /metrics). */
  counters(): GatewayCounters;
  close(): Promise<void>;
}

function rejectUpgrade(socket: Duplex, status: number, message: string): void {
  const body = JSON.stringify({ error: message });
  const reason = { 400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 409: 'Conflict' }[status] ?? 'Error';
  socket.end(`HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
}

/** Starts the HTTP + WebSocket gateway over a running app. */
export async function createGateway(app: AppContext, opts: GatewayOptions = {}): Promise<Gateway> {
  const cfg = app.config.gateway;
  const host = opts.host ?? cfg.host;
  const port = opts.port ?? cfg.port;
  const token = resolveToken(host, opts.token ?? cfg.token, (opts.env ?? process.env).STREAMLENS_TOKEN);
  const allowedOrigins = opts.allowedOrigins ?? cfg.allowedOrigins;
  const dashboardDir = opts.dashboardDir ?? join(repoRoot, 'dashboard', 'dist');
  const courseReportDir = opts.courseReportDir ?? join(repoRoot, 'reports', 'courses');
  const limits: GatewayLimits = { ...DEFAULT_LIMITS, ...opts.limits };
  const loopbackOnly = isLoopbackHost(host);
  const startedAt = Date.now();

  const clients = new Set<DashboardClient>();
  const latestByStream = new Map<string, Buffer>();
  const ingestActive = new Set<string>();
  const counters = { predictionsIn: 0, droppedSlowOfClosed: 0, sentOfClosed: 0 };

  // ---- predictions, stats and stream list fan-out -------------------------------------------
  let flushScheduled = false;
  const flushAll = () => {
    flushScheduled = false;
    const now = Date.now();
    for (const c of clients) c.flush(now);
  };
  const scheduleFlush = () => {
    if (!flushScheduled) {
      flushScheduled = true;
      setImmediate(flushAll);
    }
  };
  const unsubscribe = app.predictions.subscribe((p: Prediction) => {
    counters.predictionsIn++;
    const message = Buffer.from(JSON.stringify({ type: 'prediction', prediction: p }));
    latestByStream.set(p.streamId, message);
    for (const c of clients) c.enqueuePrediction(p.streamId, message);
    scheduleFlush();
  });

  let streamsSignature = '';
  const streamsMessage = () => {
    const streams = app.streams.list();
    return { streams, signature: JSON.stringify(streams.map((s) => [s.id, s.status, s.error ?? ''])) };
  };
  const pushStreams = (force: boolean) => {
    const { streams, signature } = streamsMessage();
    if (!force && signature === streamsSignature) return;
    streamsSignature = signature;
    const ids = new Set(streams.map((s) => s.id));
    for (const id of latestByStream.keys()) if (!ids.has(id)) latestByStream.delete(id);
    const message = Buffer.from(JSON.stringify({ type: 'streams', streams }));
    for (const c of clients) c.setStreams(message);
    scheduleFlush();
  };
  let modelsSignature = '';
  const statsMessage = () => {
    const stats = app.stats();
    const signature = JSON.stringify(stats.models);
    if (signature !== modelsSignature) {
      modelsSignature = signature;
      gatewayMetrics.modelVersion.reset();
      for (const m of stats.models) if (m.version) gatewayMetrics.modelVersion.set({ model: m.name, version: m.version }, 1);
    }
    return Buffer.from(JSON.stringify({ type: 'stats', stats }));
  };
  const statsTimer = setInterval(() => {
    try {
      const message = statsMessage();
      for (const c of clients) c.setStats(message);
      pushStreams(false);
    } catch (e) {
      log.error({ err: (e as Error).message }, 'cannot collect stats');
    }
    flushAll(); // also the retry point for congested clients and the slow-client check
  }, opts.statsIntervalMs ?? 1000);
  statsTimer.unref();

  // ---- HTTP --------------------------------------------------------------------------------
  const authorised = (req: IncomingMessage, url: URL) => token === undefined || tokenMatches(presentedToken(req, url), token);

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://gateway.invalid');
    const method = req.method ?? 'GET';
    if (loopbackOnly && !hostHeaderAllowed(req, allowedOrigins)) throw new HttpError(403, 'Host header is not a loopback name (DNS rebinding guard)');
    const path = url.pathname;

    if (path === '/healthz') {
      const streams = app.streams.list();
      sendJson(res, 200, {
        ok: true,
        uptimeSec: Math.round((Date.now() - startedAt) / 1000),
        bus: app.bus.kind,
        streams: streams.length,
        streamsRunning: streams.filter((s) => s.status === 'running').length,
        clients: clients.size,
      });
      return;
    }
    if (path === '/metrics') {
      const text = await registry.metrics();
      res.writeHead(200, { 'Content-Type': registry.contentType, 'Cache-Control': 'no-store' });
      res.end(text);
      return;
    }
    if (path.startsWith('/api/')) {
      const mutating = method !== 'GET' && method !== 'HEAD' && method !== 'OPTIONS';
      if (mutating) {
        if (!originAllowed(req, allowedOrigins)) {
          gatewayMetrics.rejected.inc({ where: 'rest', reason: 'origin' });
          throw new HttpError(403, `origin ${req.headers.origin} is not allowed`);
        }
        if (!authorised(req, url)) {
          gatewayMetrics.rejected.inc({ where: 'rest', reason: 'auth' });
          throw new HttpError(401, 'a valid token is required: send "Authorization: Bearer <token>"');
        }
      }
      if (await handleApi(req, res, url, app, limits, () => pushStreams(true))) return;
      throw new HttpError(404, `no API route ${method} ${path}`);
    }
    if (method !== 'GET' && method !== 'HEAD') throw new HttpError(405, `${method} is not allowed on ${path}`);

    if (path === '/reports/courses' || path.startsWith('/reports/courses/')) {
      const rel = path.slice('/reports/courses'.length) || '/';
      const file = safeResolve(courseReportDir, rel.endsWith('/') ? `${rel}index.html` : rel);
      if (!file) throw new HttpError(400, 'bad path');
      if (!(await serveFile(req, res, file, { cacheControl: 'no-cache' }))) throw new HttpError(404, `no course report at ${path} (run the course analysis to write ${courseReportDir}/index.html)`);
      return;
    }
    const report = /^\/reports\/([^/]+)\/([^/]+)\/?$/.exec(path);
    if (report) {
      let name: string, version: string;
      try {
        name = decodeURIComponent(report[1]);
        version = decodeURIComponent(report[2]);
      } catch {
        throw new HttpError(400, 'bad percent-encoding');
      }
      if (!/^[A-Za-z0-9._-]+$/.test(name) || name.startsWith('.') || !/^\d+$/.test(version)) throw new HttpError(400, 'bad model name or version');
      const file = app.models.reportPath(name, version);
      if (!file || !(await serveFile(req, res, file, { cacheControl: 'no-cache' }))) throw new HttpError(404, `no report for model ${name} version ${version}`);
      return;
    }

    const rel = path === '/' ? '/index.html' : path;
    const file = safeResolve(dashboardDir, rel);
    if (!file) throw new HttpError(400, 'bad path');
    if (await serveFile(req, res, file, { cacheControl: dashboardCacheControl(rel) })) return;
    if (path === '/' || path === '/index.html') throw new HttpError(404, `dashboard not built: no ${dashboardDir}/index.html (run npm run build:dashboard)`);
    throw new HttpError(404, `not found: ${path}`);
  };

  // Request line + headers up to 256 KiB (Node's default is 16 KiB), so an oversized query string
  // reaches the API and gets a 400 naming the field instead of a bare 431.
  const server = createServer({ maxHeaderSize: 256 * 1024 }, (req, res) => {
    handle(req, res).catch((e: unknown) => {
      const err = e instanceof HttpError ? e : new HttpError(500, (e as Error).message ?? String(e));
      if (err.status >= 500) log.error({ err: err.message, url: req.url }, 'request failed');
      if (res.headersSent) {
        res.destroy();
        return;
      }
      if (err.status === 413) res.setHeader('Connection', 'close');
      sendError(res, err.status, err.message, err.details);
    });
  });
  server.headersTimeout = 20_000;
  server.requestTimeout = 60_000;

  // ---- WebSockets --------------------------------------------------------------------------
  const dashboardWss = new WebSocketServer({ noServer: true, maxPayload: limits.maxControlBytes });
  // The hard protocol cap sits above the per-message limit so most oversize messages get a reason text.
  const ingestWss = new WebSocketServer({ noServer: true, maxPayload: limits.maxMessageBytes * 4 });

  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => socket.destroy());
    const url = new URL(req.url ?? '/', 'http://gateway.invalid');
    const where = url.pathname === '/ws/ingest' ? 'ws-ingest' : 'ws';
    if (url.pathname !== '/ws' && url.pathname !== '/ws/ingest') return rejectUpgrade(socket, 404, `no WebSocket endpoint ${url.pathname} (use /ws or /ws/ingest)`);
    if (loopbackOnly && !hostHeaderAllowed(req, allowedOrigins)) {
      gatewayMetrics.rejected.inc({ where, reason: 'host' });
      return rejectUpgrade(socket, 403, 'Host header is not a loopback name');
    }
    if (!originAllowed(req, allowedOrigins)) {
      gatewayMetrics.rejected.inc({ where, reason: 'origin' });
      return rejectUpgrade(socket, 403, `origin ${req.headers.origin} is not allowed`);
    }
    if (!authorised(req, url)) {
      gatewayMetrics.rejected.inc({ where, reason: 'auth' });
      return rejectUpgrade(socket, 401, 'a valid token is required (?token= or Authorization: Bearer)');
    }
    if (where === 'ws') {
      dashboardWss.handleUpgrade(req, socket, head, (ws) => acceptDashboard(ws));
      return;
    }
    let target;
    try {
      target = parseIngestQuery(url);
    } catch (e) {
      gatewayMetrics.rejected.inc({ where, reason: 'bad-query' });
      return rejectUpgrade(socket, 400, (e as Error).message);
    }
    const existing = app.streams.list().find((s) => s.id === target.streamId);
    if (ingestActive.has(target.streamId)) return rejectUpgrade(socket, 409, `stream "${target.streamId}" already has an ingest connection`);
    if (existing && (existing.media !== target.media || existing.source.kind !== 'push')) {
      return rejectUpgrade(socket, 409, `stream "${target.streamId}" exists and is not a ${target.media} push stream`);
    }
    ingestActive.add(target.streamId);
    const created = !existing;
    const ready = created ? app.streams.add({ id: target.streamId, source: { kind: 'push', media: target.media } }) : Promise.resolve();
    ready.then(
      () => {
        if (created) pushStreams(true);
        ingestWss.handleUpgrade(req, socket, head, (ws) => {
          gatewayMetrics.connections.inc({ path: '/ws/ingest' });
          serveIngestSocket(ws, target, app, limits, () => {
            gatewayMetrics.connections.dec({ path: '/ws/ingest' });
            ingestActive.delete(target.streamId);
            // Streams the browser created go away with its connection.
            if (created) app.streams.remove(target.streamId).then(() => pushStreams(true), (e: Error) => log.warn({ err: e.message }, 'cannot remove push stream'));
          });
        });
      },
      (e: Error) => {
        ingestActive.delete(target.streamId);
        rejectUpgrade(socket, 400, `cannot create stream "${target.streamId}": ${e.message}`);
      },
    );
  });

  const acceptDashboard = (ws: WebSocket) => {
    const client = new DashboardClient(ws, limits, (id) => latestByStream.get(id));
    clients.add(client);
    gatewayMetrics.connections.inc({ path: '/ws' });
    client.setStreams(Buffer.from(JSON.stringify({ type: 'streams', streams: app.streams.list() })));
    try {
      client.setStats(statsMessage());
    } catch (e) {
      log.error({ err: (e as Error).message }, 'cannot collect stats');
    }
    client.flush();
    ws.on('message', (data, isBinary) => {
      if (isBinary) {
        gatewayMetrics.rejected.inc({ where: 'ws', reason: 'binary' });
        closeWith(ws, CLOSE.unsupportedData, '/ws takes JSON text control messages; send media to /ws/ingest');
        return;
      }
      client.control(data.toString());
    });
    ws.on('error', (e: Error & { code?: string }) => {
      if (e.code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH') gatewayMetrics.rejected.inc({ where: 'ws', reason: 'too-large' });
    });
    ws.on('close', () => {
      clients.delete(client);
      counters.droppedSlowOfClosed += client.counters.dropped;
      counters.sentOfClosed += client.counters.sent;
      gatewayMetrics.connections.dec({ path: '/ws' });
    });
  };

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const urlHost = address.family === 'IPv6' || host.includes(':') ? `[${address.address}]` : host;
  const url = `http://${urlHost}:${address.port}`;
  log.info({ url, auth: token ? 'token' : 'none (loopback only)' }, 'gateway listening');

  return {
    server,
    url,
    counters: () => {
      let sent = counters.sentOfClosed;
      let dropped = counters.droppedSlowOfClosed;
      for (const c of clients) {
        sent += c.counters.sent;
        dropped += c.counters.dropped;
      }
      const perClient = [...clients].map((c) => ({ buffered: c.ws.bufferedAmount, queued: c.queued(), sent: c.counters.sent, dropped: c.counters.dropped }));
      return { predictionsIn: counters.predictionsIn, predictionsSent: sent, droppedSlow: dropped, clients: clients.size, ingestConnections: ingestActive.size, perClient };
    },
    close: async () => {
      clearInterval(statsTimer);
      unsubscribe();
      for (const c of clients) closeWith(c.ws, CLOSE.goingAway, 'gateway shutting down');
      for (const ws of ingestWss.clients) closeWith(ws, CLOSE.goingAway, 'gateway shutting down');
      await new Promise<void>((r) => setTimeout(r, 50));
      for (const ws of [...dashboardWss.clients, ...ingestWss.clients]) ws.terminate();
      dashboardWss.close();
      ingestWss.close();
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
