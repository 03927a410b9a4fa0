import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { join } from 'node:path';
import { WebSocketServer, type WebSocket } from 'ws';
import type { AppContext } from './app-context.js';
import type { Prediction } from '../bus/envelope.js';
import { childLogger } from '../core/logger.js';
import { metricsText, registry } from '../core/metrics.js';
import { repoRoot } from '../core/paths.js';
import { displayRoots, rootsOf } from '../core/source-paths.js';
import { CLOSE, closeWith } from './close-codes.js';
import { ClientRateLimiter } from './client-rate-limit.js';
import { DashboardClient, type DashboardClientLimits } from './dashboard-client.js';
import { gatewayMetrics } from './gateway-metrics.js';
import { HttpError, sendError, sendJson } from './http-util.js';
import { redactSecrets } from '../core/redact.js';
import { parseIngestQuery, serveIngestSocket, type IngestLimits } from './ingest-socket.js';
import { handleApi, type RestLimits } from './rest-api.js';
import { handleFeedback } from './feedback-api.js';
import { predictionId } from '../bus/prediction-id.js';
import { LiveQuality } from '../monitoring/live-quality.js';
import { RecentPredictions } from '../monitoring/recent-predictions.js';
import { LOGIN_PAGE_CSP, LOGIN_PAGE_HTML } from './login-page.js';
import { publicStreamInfo } from './public-stream.js';
import {
  SESSION_COOKIE,
  WS_PROTOCOL,
  cookieOf,
  hostHeaderAllowed,
  isLoopbackHost,
  originAllowed,
  presentedSocketToken,
  presentedToken,
  resolveMetricsToken,
  resolveToken,
  sessionCookieHeader,
  sessionValid,
  sessionValue,
  tokenMatches,
  writeRefusal,
} from './security.js';
import { dashboardCacheControl, safeResolve, serveFile } from './static-files.js';
import { envValue } from '../core/environment.js';

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
  maxApiRequestsPerSec: 100,
};

export interface GatewayOptions {
  /** Default: config.gateway.host (127.0.0.1). */
  host?: string;
  /** Default: config.gateway.port; 0 picks a free port. */
  port?: number;
  /** Default: config.gateway.token, else STREAMLENS_TOKEN. */
  token?: string;
  /** A token that opens /metrics only. Default: config.gateway.metricsToken, else STREAMLENS_METRICS_TOKEN. */
  metricsToken?: string;
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
  /** Predictions remembered for feedback (POST /api/feedback). Default 100,000. */
  rememberPredictions?: number;
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
  const body = JSON.stringify({ error: redactSecrets(message) });
  const reason = { 400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 409: 'Conflict' }[status] ?? 'Error';
  const auth = status === 401 ? 'WWW-Authenticate: Bearer realm="streamlens"\r\n' : '';
  socket.end(`HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/json\r\n${auth}Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
}

const TOKEN_HELP = 'send "Authorization: Bearer <token>" (browsers: sign in on the dashboard)';
const SOCKET_TOKEN_HELP = `send "Authorization: Bearer <token>", or offer the WebSocket subprotocols "${WS_PROTOCOL}" and "streamlens.bearer.<base64url of the token>"`;
const URL_TOKEN_NOTE = '; a token in the URL (query parameter "token") is not accepted: URLs end up in logs and browser history';

/** Paths a browser navigates to (the dashboard's own files): an unauthorised one gets the login page. */
function wantsHtml(req: IncomingMessage, path: string): boolean {
  if (path === '/' || path === '/index.html') return true;
  const accept = req.headers.accept ?? '';
  return (req.headers['sec-fetch-mode'] === 'navigate' || accept.includes('text/html')) && !/\.[a-z0-9]+$/i.test(path);
}

/** Starts the HTTP + WebSocket gateway over a running app. */
export async function createGateway(app: AppContext, opts: GatewayOptions = {}): Promise<Gateway> {
  const cfg = app.config.gateway;
  const host = opts.host ?? cfg.host;
  const port = opts.port ?? cfg.port;
  const env = opts.env ?? process.env;
  const token = resolveToken(host, opts.token ?? cfg.token, envValue('STREAMLENS_TOKEN', env));
  const metricsToken = resolveMetricsToken(opts.metricsToken ?? cfg.metricsToken, envValue('STREAMLENS_METRICS_TOKEN', env), token);
  const roots = displayRoots(rootsOf(app.config));
  const publicStreams = () => app.streams.list().map((s) => publicStreamInfo(s, roots));
  const allowedOrigins = opts.allowedOrigins ?? cfg.allowedOrigins;
  const dashboardDir = opts.dashboardDir ?? join(repoRoot, 'dashboard', 'dist');
  const courseReportDir = opts.courseReportDir ?? join(repoRoot, 'reports', 'courses');
  const limits: GatewayLimits = { ...DEFAULT_LIMITS, ...opts.limits };
  const apiRate = new ClientRateLimiter(limits.maxApiRequestsPerSec, limits.maxApiRequestsPerSec * 2);
  const loopbackOnly = isLoopbackHost(host);
  const startedAt = Date.now();

  const clients = new Set<DashboardClient>();
  const latestByStream = new Map<string, Buffer>();
  const ingestActive = new Set<string>();
  const counters = { predictionsIn: 0, droppedSlowOfClosed: 0, sentOfClosed: 0 };
  // Feedback (true labels for predictions): the predictions this gateway forwarded, by id, and the quality per model version.
  const recent = new RecentPredictions(opts.rememberPredictions ?? 100_000, startedAt);
  const quality = new LiveQuality();

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
  const unsubscribe = app.predictions.subscribe((received: Prediction) => {
    counters.predictionsIn++;
    // Older producers send no id: derive one from the input and the arrival time (src/bus/prediction-id.ts).
    const p = received.id ? (received as Prediction & { id: string }) : { id: predictionId({ ...received, capturedAt: Date.now() }), ...received };
    recent.remember(p);
    const message = Buffer.from(JSON.stringify({ type: 'prediction', prediction: p }));
    latestByStream.set(p.streamId, message);
    for (const c of clients) c.enqueuePrediction(p.streamId, message);
    scheduleFlush();
  });

  let streamsSignature = '';
  const streamsMessage = () => {
    const streams = publicStreams();
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
  // With a token (always beyond loopback) every endpoint but /healthz needs it: the API and /metrics
  // in the Authorization header (/metrics also takes the metrics token), the dashboard's files and
  // reports the header or the session cookie that POST /api/session issues. Without one (loopback
  // only) everything stays open to this machine; writes still pass the Origin / Sec-Fetch-Site check.
  const bearerIs = (req: IncomingMessage, expected: string | undefined) => tokenMatches(presentedToken(req), expected);
  const sessionOk = (req: IncomingMessage) => token !== undefined && sessionValid(cookieOf(req, SESSION_COOKIE), token);
  const refuse = (req: IncomingMessage, res: ServerResponse, url: URL, where: string, path: string, help: string): void => {
    gatewayMetrics.rejected.inc({ where, reason: 'auth' });
    const note = url.searchParams.has('token') ? URL_TOKEN_NOTE : '';
    if (where === 'static' && (req.method === 'GET' || req.method === 'HEAD') && wantsHtml(req, path)) {
      res.writeHead(401, {
        'Content-Type': 'text/html; charset=utf-8',
        'Content-Security-Policy': LOGIN_PAGE_CSP,
        'WWW-Authenticate': 'Bearer realm="streamlens"',
        'Cache-Control': 'no-store',
        'X-Content-Type-Options': 'nosniff',
        'Referrer-Policy': 'no-referrer',
      });
      res.end(req.method === 'HEAD' ? undefined : LOGIN_PAGE_HTML);
      return;
    }
    res.setHeader('WWW-Authenticate', 'Bearer realm="streamlens"');
    sendError(res, 401, `a valid token is required for ${path}: ${help}${note}`);
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://gateway.invalid');
    const method = req.method ?? 'GET';
    if (loopbackOnly && !hostHeaderAllowed(req, allowedOrigins)) throw new HttpError(403, 'Host header is not a loopback name (DNS rebinding guard)');
    const path = url.pathname;
    const mutating = method !== 'GET' && method !== 'HEAD' && method !== 'OPTIONS';
    if (mutating && path !== '/healthz') {
      const why = writeRefusal(req, allowedOrigins);
      if (why) {
        gatewayMetrics.rejected.inc({ where: path.startsWith('/api/') ? 'rest' : 'static', reason: 'origin' });
        throw new HttpError(403, why);
      }
    }

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
      if (token !== undefined && !bearerIs(req, token) && !bearerIs(req, metricsToken)) return refuse(req, res, url, 'metrics', path, 'send "Authorization: Bearer <token or metrics token>" (Prometheus: authorization.credentials_file)');
      const text = await metricsText();
      res.writeHead(200, { 'Content-Type': registry.contentType, 'Cache-Control': 'no-store' });
      res.end(text);
      return;
    }
    if (path.startsWith('/api/')) {
      if (!apiRate.allow(req.socket.remoteAddress ?? 'unknown')) {
        gatewayMetrics.rejected.inc({ where: 'rest', reason: 'rate' });
        res.setHeader('Retry-After', '1');
        throw new HttpError(429, `rate limit exceeded: more than ${limits.maxApiRequestsPerSec} API requests per second from this address; slow down and retry`);
      }
      if (token !== undefined && !bearerIs(req, token)) return refuse(req, res, url, 'rest', path, TOKEN_HELP);
      if (path === '/api/session') return handleSession(req, res, method);
      if (path === '/api/reports/courses') return handleCourseReport(res, method);
      if (path === '/api/feedback') return handleFeedback(req, res, recent, quality);
      if (await handleApi(req, res, url, app, limits, () => pushStreams(true), roots)) return;
      throw new HttpError(404, `no API route ${method} ${path}`);
    }
    if (method !== 'GET' && method !== 'HEAD') throw new HttpError(405, `${method} is not allowed on ${path}`);
    // The dashboard's files and the reports: the header, or the session cookie (documents a browser navigates to).
    if (token !== undefined && !bearerIs(req, token) && !sessionOk(req)) return refuse(req, res, url, 'static', path, TOKEN_HELP);

    if (path === '/reports/courses' || path.startsWith('/reports/courses/')) {
      const rel = path.slice('/reports/courses'.length) || '/';
      // `analyze courses --out DIR` writes DIR/report.html; a folder's index.html is still served where there is one.
      const candidates = rel.endsWith('/') ? [`${rel}report.html`, `${rel}index.html`] : [rel];
      for (const candidate of candidates) {
        const file = safeResolve(courseReportDir, candidate);
        if (!file) throw new HttpError(400, 'bad path');
        if (await serveFile(req, res, file, { cacheControl: 'no-cache' })) return;
      }
      throw new HttpError(404, `no course report at ${path} (run: streamlens analyze courses --out ${courseReportDir})`);
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

  /** GET: whether this caller is signed in; POST: issue the session cookie (documents); DELETE: drop it. */
  const handleSession = (req: IncomingMessage, res: ServerResponse, method: string): void => {
    const secure = (req.socket as { encrypted?: boolean }).encrypted === true || req.headers['x-forwarded-proto'] === 'https';
    if (method === 'GET' || method === 'HEAD') {
      sendJson(res, 200, { auth: token === undefined ? 'none' : 'token' });
      return;
    }
    if (method === 'POST') {
      if (token !== undefined) res.setHeader('Set-Cookie', sessionCookieHeader(sessionValue(token), secure));
      res.writeHead(204, { 'Cache-Control': 'no-store' }).end();
      return;
    }
    if (method === 'DELETE') {
      res.setHeader('Set-Cookie', sessionCookieHeader(undefined, secure));
      res.writeHead(204, { 'Cache-Control': 'no-store' }).end();
      return;
    }
    throw new HttpError(405, `${method} is not allowed on /api/session (GET, POST, DELETE)`);
  };

  /** POST: writes the course analysis report now (one at a time; a second request waits for the same run). */
  let courseReportRun: Promise<void> | undefined;
  const handleCourseReport = async (res: ServerResponse, method: string): Promise<void> => {
    if (method !== 'POST') throw new HttpError(405, `${method} is not allowed on /api/reports/courses (POST writes the report)`);
    if (!app.writeCourseReport) throw new HttpError(404, `this server has no course data to analyse (run: streamlens analyze courses --out ${courseReportDir})`);
    const t0 = Date.now();
    courseReportRun ??= app.writeCourseReport(courseReportDir).finally(() => {
      courseReportRun = undefined;
    });
    try {
      await courseReportRun;
    } catch (e) {
      throw new HttpError(500, `writing the course analysis report failed: ${(e as Error).message}`);
    }
    sendJson(res, 200, { report: '/reports/courses/', seconds: Math.round((Date.now() - t0) / 100) / 10 });
  };

  // Request line + headers up to 256 KiB (Node's default is 16 KiB), so an oversized query string
  // reaches the API and gets a 400 naming the field instead of a bare 431.
  const server = createServer({ maxHeaderSize: 256 * 1024 }, (req, res) => {
    handle(req, res).catch((e: unknown) => {
      const err = e instanceof HttpError ? e : new HttpError(500, (e as Error).message ?? String(e));
      // The path only: a query string may carry anything (a token pasted into a URL).
      if (err.status >= 500) log.error({ err: err.message, path: (req.url ?? '/').split('?')[0] }, 'request failed');
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
  // The gateway selects "streamlens" when offered; the token subprotocol is never echoed back.
  const handleProtocols = (protocols: Set<string>) => (protocols.has(WS_PROTOCOL) ? WS_PROTOCOL : false);
  const dashboardWss = new WebSocketServer({ noServer: true, maxPayload: limits.maxControlBytes, handleProtocols });
  // The hard protocol cap sits above the per-message limit so most oversize messages get a reason text.
  const ingestWss = new WebSocketServer({ noServer: true, maxPayload: limits.maxMessageBytes * 4, handleProtocols });

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
      return rejectUpgrade(socket, 403, `origin ${JSON.stringify(req.headers.origin)} is not allowed (same origin or gateway.allowedOrigins only)`);
    }
    if (token !== undefined && !tokenMatches(presentedSocketToken(req), token)) {
      gatewayMetrics.rejected.inc({ where, reason: 'auth' });
      return rejectUpgrade(socket, 401, `a valid token is required for ${url.pathname}: ${SOCKET_TOKEN_HELP}${url.searchParams.has('token') ? URL_TOKEN_NOTE : ''}`);
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
    client.setStreams(Buffer.from(JSON.stringify({ type: 'streams', streams: publicStreams() })));
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
  log.info({ url, auth: token ? `token (every endpoint but /healthz)${metricsToken ? '; metrics token for /metrics' : ''}` : 'none (loopback only)' }, 'gateway listening');

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
