import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WebSocket } from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGateway, type Gateway } from '../../src/gateway/index.js';
import { tokenProtocol } from '../../src/gateway/security.js';
import { FakeApp } from '../helpers/fake-app.js';
import { ownNonLoopbackIPv4 } from '../helpers/own-address.js';

/**
 * The gateway bound to this machine's own non-loopback address with a token: every endpoint with
 * no token, a wrong token and the right one. Only /healthz answers without it.
 */
const TOKEN = 'gw-token-4f9c2a7e1b3d5f60';
const WRONG = 'gw-token-wrong-00000000000';
const METRICS_TOKEN = 'metrics-token-9a8b7c6d5e4f';

let ip: string;
let app: FakeApp;
let gw: Gateway;
let root: string;

beforeAll(async () => {
  ip = ownNonLoopbackIPv4();
  root = mkdtempSync(join(tmpdir(), 'streamlens-auth-'));
  const dist = join(root, 'dist');
  mkdirSync(join(dist, 'assets'), { recursive: true });
  writeFileSync(join(dist, 'index.html'), '<!doctype html><title>streamlens</title><main>DASHBOARD-SHELL</main>');
  writeFileSync(join(dist, 'assets', 'main-abc123.js'), 'console.log("DASHBOARD-CODE")');
  mkdirSync(join(root, 'courses'));
  writeFileSync(join(root, 'courses', 'index.html'), '<h1>COURSE-REPORT</h1>');
  app = new FakeApp({ streams: [{ id: 'mic-1', media: 'audio' }] });
  await app.start();
  gw = await createGateway(app, { host: ip, port: 0, dashboardDir: dist, courseReportDir: join(root, 'courses'), env: { STREAMLENS_TOKEN: TOKEN, STREAMLENS_METRICS_TOKEN: METRICS_TOKEN } });
});
afterAll(async () => {
  await gw?.close();
  await app?.stop();
  rmSync(root, { recursive: true, force: true });
});

interface Endpoint {
  method: string;
  path: string;
  /** Status with the right token. */
  ok: number;
  body?: () => string;
  type?: string;
  /** Text only the authorised answer holds. */
  marker?: string;
}

let added = 0;
const ENDPOINTS: Endpoint[] = [
  { method: 'GET', path: '/metrics', ok: 200, marker: 'streamlens_gateway_ws_connections' },
  { method: 'GET', path: '/api/streams', ok: 200, marker: 'mic-1' },
  { method: 'GET', path: '/api/streams/mic-1', ok: 200, marker: '"media":"audio"' },
  { method: 'GET', path: '/api/models', ok: 200, marker: 'emotion' },
  { method: 'GET', path: '/api/stats', ok: 200, marker: 'latencyMs' },
  { method: 'GET', path: '/api/monitoring', ok: 200, marker: '"monitors"' },
  { method: 'GET', path: '/api/feedback', ok: 200, marker: '"versions"' },
  // A well-formed id the gateway never showed: 404 says the call got past the token check.
  { method: 'POST', path: '/api/feedback', ok: 404, type: 'application/json', body: () => JSON.stringify({ predictionId: `${Date.now().toString(36)}-0123456789abcdef0123`, label: 'calm' }), marker: 'was shown by this gateway' },
  // FakeApp runs no recommender: 503 says the call got past the token check.
  { method: 'GET', path: '/api/recommendations?q=python', ok: 503 },
  { method: 'GET', path: '/api/session', ok: 200, marker: '"token"' },
  { method: 'POST', path: '/api/session', ok: 204 },
  { method: 'POST', path: '/api/streams', ok: 201, type: 'application/json', body: () => JSON.stringify({ id: `auth-${added}`, source: { kind: 'push', media: 'video' } }), marker: 'auth-' },
  { method: 'DELETE', path: '/api/streams/auth-0', ok: 204 },
  { method: 'POST', path: '/api/courses?stream=auth-courses', ok: 202, type: 'text/csv', body: () => 'course_id,course_title\n1,a\n', marker: 'accepted' },
  { method: 'GET', path: '/', ok: 200, marker: 'DASHBOARD-SHELL' },
  { method: 'GET', path: '/index.html', ok: 200, marker: 'DASHBOARD-SHELL' },
  { method: 'GET', path: '/assets/main-abc123.js', ok: 200, marker: 'DASHBOARD-CODE' },
  { method: 'GET', path: '/reports/emotion/1', ok: 200, marker: 'Emotion model, version 1' },
  { method: 'GET', path: '/reports/courses/', ok: 200, marker: 'COURSE-REPORT' },
];

async function call(e: Endpoint, headers: Record<string, string>): Promise<{ status: number; text: string; headers: Headers }> {
  const h: Record<string, string> = { ...headers };
  if (e.type) h['content-type'] = e.type;
  const r = await fetch(`${gw.url}${e.path}`, { method: e.method, headers: h, body: e.body?.() });
  return { status: r.status, text: await r.text(), headers: r.headers };
}

function socket(path: string, opts: { headers?: Record<string, string>; protocols?: string[] } = {}): Promise<{ ws?: WebSocket; status?: number }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${gw.url.replace(/^http/, 'ws')}${path}`, opts.protocols ?? [], { headers: opts.headers });
    ws.once('open', () => resolve({ ws }));
    ws.once('unexpected-response', (_req, res) => {
      resolve({ status: res.statusCode });
      res.resume();
    });
    ws.once('error', reject);
  });
}

describe('gateway on a non-loopback address with a token', () => {
  it('listens on this machine\'s own non-loopback address', () => {
    expect(new URL(gw.url).hostname).toBe(ip);
    expect(ip.startsWith('127.')).toBe(false);
  });

  it('/healthz answers without a token (and with any)', async () => {
    for (const headers of [{}, { authorization: `Bearer ${WRONG}` }, { authorization: `Bearer ${TOKEN}` }] as Record<string, string>[]) {
      const r = await fetch(`${gw.url}/healthz`, { headers });
      expect(r.status).toBe(200);
      expect(await r.json()).toMatchObject({ ok: true });
    }
  });

  it('every other endpoint: 401 with no token and with a wrong one (no data in the answer), its answer with the right one', async () => {
    for (const e of ENDPOINTS) {
      for (const headers of [{}, { authorization: `Bearer ${WRONG}` }, { authorization: `Basic ${Buffer.from(`x:${TOKEN}`).toString('base64')}` }] as Record<string, string>[]) {
        const r = await call(e, headers);
        expect(r.status, `${e.method} ${e.path} with ${JSON.stringify(headers)}`).toBe(401);
        expect(r.headers.get('www-authenticate')).toMatch(/^Bearer/);
        if (e.marker) expect(r.text, `${e.method} ${e.path}`).not.toContain(e.marker);
        expect(r.text, `${e.method} ${e.path}`).not.toContain('"streams"');
      }
      const r = await call(e, { authorization: `Bearer ${TOKEN}` });
      expect(r.status, `${e.method} ${e.path} with the token: ${r.text.slice(0, 200)}`).toBe(e.ok);
      if (e.marker) expect(r.text).toContain(e.marker);
      if (e.method === 'POST' && e.path === '/api/streams') added++;
    }
  });

  it('a browser opening the dashboard without a session gets the sign-in page, which holds no data', async () => {
    const r = await fetch(`${gw.url}/`, { headers: { accept: 'text/html' } });
    expect(r.status).toBe(401);
    expect(r.headers.get('content-type')).toMatch(/text\/html/);
    expect(r.headers.get('content-security-policy')).toMatch(/default-src 'none'/);
    const html = await r.text();
    expect(html).toContain('id="token"');
    expect(html).not.toContain('DASHBOARD-SHELL');
  });

  it('a token in the URL is never accepted, and the refusal says why', async () => {
    for (const path of ['/api/streams', '/metrics', '/reports/emotion/1']) {
      const r = await fetch(`${gw.url}${path}?token=${TOKEN}`);
      expect(r.status, path).toBe(401);
      const body = (await r.json()) as { error: string };
      expect(body.error).toMatch(/token in the URL \(query parameter "token"\) is not accepted/);
      expect(body.error).not.toContain(TOKEN);
    }
    expect((await socket(`/ws?token=${TOKEN}`)).status).toBe(401);
  });

  it('the metrics token opens /metrics and nothing else', async () => {
    const auth = { authorization: `Bearer ${METRICS_TOKEN}` };
    expect((await fetch(`${gw.url}/metrics`, { headers: auth })).status).toBe(200);
    for (const path of ['/api/streams', '/api/models', '/', '/reports/emotion/1']) expect((await fetch(`${gw.url}${path}`, { headers: auth })).status, path).toBe(401);
    expect((await socket('/ws', { headers: auth })).status).toBe(401);
  });

  it('the session cookie (POST /api/session) opens the dashboard files and reports, never the API, /metrics or the sockets', async () => {
    const login = await fetch(`${gw.url}/api/session`, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}` } });
    expect(login.status).toBe(204);
    const setCookie = login.headers.get('set-cookie')!;
    expect(setCookie).toMatch(/^streamlens_session=[^;]+; Max-Age=\d+; Path=\/; HttpOnly; SameSite=Strict/);
    expect(setCookie).not.toContain(TOKEN);
    const cookie = setCookie.split(';')[0];
    for (const path of ['/', '/assets/main-abc123.js', '/reports/emotion/1', '/reports/courses/']) expect((await fetch(`${gw.url}${path}`, { headers: { cookie } })).status, path).toBe(200);
    for (const path of ['/api/streams', '/api/session', '/metrics']) expect((await fetch(`${gw.url}${path}`, { headers: { cookie } })).status, path).toBe(401);
    const post = await fetch(`${gw.url}/api/streams`, { method: 'POST', headers: { cookie, 'content-type': 'application/json' }, body: JSON.stringify({ id: 'by-cookie', source: { kind: 'push', media: 'video' } }) });
    expect(post.status).toBe(401);
    expect((await socket('/ws', { headers: { cookie } })).status).toBe(401);
    const forged = `streamlens_session=${Date.now() + 3600_000}.${'A'.repeat(43)}`;
    expect((await fetch(`${gw.url}/`, { headers: { cookie: forged } })).status).toBe(401);
    const logout = await fetch(`${gw.url}/api/session`, { method: 'DELETE', headers: { authorization: `Bearer ${TOKEN}` } });
    expect(logout.headers.get('set-cookie')).toMatch(/^streamlens_session=; Max-Age=0/);
  });

  it('both WebSockets: 401 with no token or a wrong one (header or subprotocol); open with the right one, the token subprotocol never echoed', async () => {
    for (const [n, path] of ['/ws', '/ws/ingest?stream=auth-mic&media=audio'].entries()) {
      expect((await socket(path)).status, path).toBe(401);
      expect((await socket(path, { headers: { authorization: `Bearer ${WRONG}` } })).status, path).toBe(401);
      expect((await socket(path, { protocols: ['streamlens', tokenProtocol(WRONG)] })).status, path).toBe(401);
      const byHeader = await socket(path, { headers: { authorization: `Bearer ${TOKEN}` } });
      expect(byHeader.ws, path).toBeDefined();
      byHeader.ws!.close();
      const byProtocol = await socket(n === 0 ? path : path.replace('auth-mic', 'auth-mic-2'), { protocols: ['streamlens', tokenProtocol(TOKEN)] });
      expect(byProtocol.ws, path).toBeDefined();
      expect(byProtocol.ws!.protocol).toBe('streamlens');
      byProtocol.ws!.close();
      await new Promise((r) => setTimeout(r, 100)); // the ingest stream goes away with its socket
    }
  });

  it('Origin checks stay: a foreign origin is refused with the right token, on the sockets and on writes', async () => {
    const auth = { authorization: `Bearer ${TOKEN}` };
    expect((await socket('/ws', { headers: { ...auth, origin: 'https://evil.example' } })).status).toBe(403);
    const ok = await socket('/ws', { headers: { ...auth, origin: gw.url } });
    expect(ok.ws).toBeDefined();
    ok.ws!.close();
    const del = await fetch(`${gw.url}/api/streams/mic-1`, { method: 'DELETE', headers: { ...auth, origin: 'https://evil.example' } });
    expect(del.status).toBe(403);
    const site = await fetch(`${gw.url}/api/streams/mic-1`, { method: 'DELETE', headers: { ...auth, 'sec-fetch-site': 'cross-site' } });
    expect(site.status).toBe(403);
    expect(app.streams.list().some((s) => s.id === 'mic-1')).toBe(true);
  });
});
