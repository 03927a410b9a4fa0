import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AppContext } from './app-context.js';
import { streamSchema } from '../core/config.js';
import { handleCatalogueStatus, handleRecommendations } from '../recommend/http.js';
import { HttpError, parseJsonBody, readBody, sendJson } from './http-util.js';
import { publicStreamInfo } from './public-stream.js';

export interface RestLimits {
  /** Largest JSON body of POST /api/streams. */
  maxJsonBytes: number;
  /** Largest body of POST /api/courses. */
  maxCoursesBytes: number;
  /** Requests per second each client address may make to /api/* (a burst of twice that passes); over it: 429. */
  maxApiRequestsPerSec: number;
}

const COURSE_CONTENT_TYPES = ['application/json', 'application/x-ndjson', 'application/jsonl', 'application/x-jsonlines', 'text/csv', 'text/plain'];

/** Stream ids may not need escaping, but path segments arrive percent-encoded. */
function decodeSegment(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    throw new HttpError(400, `bad percent-encoding in path segment "${s}"`);
  }
}

function mediaType(req: IncomingMessage): string {
  return (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
}

/**
 * The REST API under /api. Calls are authorised (token, Origin / Sec-Fetch-Site for writes) by the
 * gateway before they reach here. Streams are answered in their public form (publicStreamInfo:
 * no credentials, paths relative to their allowed directory). Returns false when no route matches.
 */
export async function handleApi(
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
  app: AppContext,
  limits: RestLimits,
  onStreamsChanged: () => void,
  roots: readonly { dir: string; label: string }[] = [],
): Promise<boolean> {
  const shown = (s: Parameters<typeof publicStreamInfo>[0]) => publicStreamInfo(s, roots);
  const path = url.pathname;
  const method = req.method ?? 'GET';

  if (path === '/api/streams') {
    if (method === 'GET' || method === 'HEAD') {
      sendJson(res, 200, { streams: app.streams.list().map(shown) });
      return true;
    }
    if (method === 'POST') {
      if (mediaType(req) !== 'application/json') throw new HttpError(415, 'POST /api/streams takes Content-Type: application/json');
      const body = parseJsonBody(await readBody(req, limits.maxJsonBytes));
      const parsed = streamSchema.safeParse(body);
      if (!parsed.success) {
        const issues = parsed.error.issues.map((i) => ({ field: i.path.join('.') || '(root)', message: i.message }));
        throw new HttpError(400, `invalid stream: ${issues.map((i) => `${i.field}: ${i.message}`).join('; ')}`, { issues });
      }
      if (app.streams.list().some((s) => s.id === parsed.data.id)) throw new HttpError(409, `stream "${parsed.data.id}" already exists`);
      let info;
      try {
        info = await app.streams.add(parsed.data);
      } catch (e) {
        throw new HttpError(400, `cannot start stream "${parsed.data.id}": ${(e as Error).message}`);
      }
      onStreamsChanged();
      sendJson(res, 201, { stream: shown(info) });
      return true;
    }
    throw new HttpError(405, `${method} is not allowed on /api/streams (GET, POST)`);
  }

  const one = /^\/api\/streams\/([^/]+)$/.exec(path);
  if (one) {
    const id = decodeSegment(one[1]);
    if (method === 'GET' || method === 'HEAD') {
      const s = app.streams.list().find((x) => x.id === id);
      if (!s) throw new HttpError(404, `no stream "${id}"`);
      sendJson(res, 200, { stream: shown(s) });
      return true;
    }
    if (method === 'DELETE') {
      const removed = await app.streams.remove(id);
      if (!removed) throw new HttpError(404, `no stream "${id}"`);
      onStreamsChanged();
      res.writeHead(204).end();
      return true;
    }
    throw new HttpError(405, `${method} is not allowed on /api/streams/:id (GET, DELETE)`);
  }

  if (path === '/api/models') {
    if (method !== 'GET' && method !== 'HEAD') throw new HttpError(405, `${method} is not allowed on /api/models (GET)`);
    sendJson(res, 200, { models: app.models.list() });
    return true;
  }

  if (path === '/api/monitoring') {
    if (method !== 'GET' && method !== 'HEAD') throw new HttpError(405, `${method} is not allowed on /api/monitoring (GET)`);
    const { liveMonitoring, firingAlerts } = await import('../monitoring/live.js');
    const { shadowAgreement } = await import('../monitoring/shadow-agreement.js');
    const monitors = liveMonitoring?.snapshot() ?? [];
    // shadows: served vs shadow version agreement of the inference stages in this process (Kafka workers: their /metrics).
    sendJson(res, 200, { enabled: liveMonitoring !== undefined, monitors, alerts: firingAlerts(monitors), shadows: shadowAgreement.snapshot() });
    return true;
  }

  if (path === '/api/stats') {
    if (method !== 'GET' && method !== 'HEAD') throw new HttpError(405, `${method} is not allowed on /api/stats (GET)`);
    sendJson(res, 200, app.stats());
    return true;
  }

  if (path === '/api/courses') {
    if (method !== 'POST') throw new HttpError(405, `${method} is not allowed on /api/courses (POST)`);
    const type = mediaType(req);
    if (!COURSE_CONTENT_TYPES.includes(type)) {
      throw new HttpError(415, `POST /api/courses takes Content-Type ${COURSE_CONTENT_TYPES.join(', ')}; got "${type || '(none)'}"`);
    }
    const streamId = url.searchParams.get('stream') ?? 'courses-upload';
    const idCheck = streamSchema.shape.id.safeParse(streamId);
    if (!idCheck.success) throw new HttpError(400, `query parameter "stream": ${idCheck.error.issues[0].message}`);
    const body = await readBody(req, limits.maxCoursesBytes);
    if (body.length === 0) throw new HttpError(400, 'request body is empty: send a JSON object, a JSON array, JSON lines or CSV text');
    const existing = app.streams.list().find((s) => s.id === streamId);
    if (existing && existing.media !== 'course') throw new HttpError(409, `stream "${streamId}" is a ${existing.media} stream, not a course stream`);
    if (!existing) {
      await app.streams.add({ id: streamId, source: { kind: 'push', media: 'course' } });
      onStreamsChanged();
    }
    let result;
    try {
      result = await app.ingest.courses(streamId, type, body);
    } catch (e) {
      throw new HttpError(400, `cannot read course records: ${(e as Error).message}`);
    }
    sendJson(res, result.accepted > 0 || result.rejected === 0 ? 202 : 400, { stream: streamId, ...result });
    return true;
  }

  if (path === '/api/recommendations' || path === '/api/recommendations/catalogue') {
    if (method !== 'GET' && method !== 'HEAD') throw new HttpError(405, `${method} is not allowed on ${path} (GET)`);
    if (!app.recommender) throw new HttpError(503, 'the course recommender is not running in this app');
    const answer = path === '/api/recommendations' ? handleRecommendations(app.recommender, url) : handleCatalogueStatus(app.recommender);
    sendJson(res, answer.status, answer.body);
    return true;
  }

  return false;
}
