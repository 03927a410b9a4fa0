import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGateway, type Gateway } from '../../src/gateway/index.js';
import { FakeApp } from '../helpers/fake-app.js';
import { rawRequest } from '../helpers/gateway-client.js';

const SECRET = 'TOP-SECRET-OUTSIDE-THE-ROOT';
let app: FakeApp;
let gw: Gateway;
let root: string;

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'streamlens-gw-'));
  const dist = join(root, 'dist');
  mkdirSync(join(dist, 'assets'), { recursive: true });
  writeFileSync(join(dist, 'index.html'), '<!doctype html><title>streamlens</title>');
  writeFileSync(join(dist, 'assets', 'main-abc123.js'), 'console.log(1)');
  writeFileSync(join(dist, 'assets', 'main-abc123.css'), 'body{}');
  writeFileSync(join(root, 'secret.txt'), SECRET);
  mkdirSync(join(root, 'courses'));
  writeFileSync(join(root, 'courses', 'report.html'), '<h1>Course analysis</h1>');
  app = new FakeApp({ streams: [{ id: 'mic-1', media: 'audio' }] });
  await app.start();
  gw = await createGateway(app, { port: 0, dashboardDir: dist, courseReportDir: join(root, 'courses'), env: {} });
});
afterAll(async () => {
  await gw.close();
  await app.stop();
});

describe('health and metrics', () => {
  it('/healthz reports ok, uptime, bus kind and streams', async () => {
    const r = await fetch(`${gw.url}/healthz`);
    expect(r.status).toBe(200);
    const body = await r.json();
    expect(body).toMatchObject({ ok: true, bus: 'embedded', streams: 1 });
    expect(typeof body.uptimeSec).toBe('number');
  });

  it('/metrics serves Prometheus text with the stage and gateway metrics', async () => {
    const r = await fetch(`${gw.url}/metrics`);
    expect(r.headers.get('content-type')).toMatch(/text\/plain/);
    const text = await r.text();
    expect(text).toContain('# TYPE streamlens_dropped_total counter');
    expect(text).toContain('streamlens_stage_end_to_end_latency_seconds');
    expect(text).toContain('streamlens_gateway_ws_connections');
  });
});

describe('REST API', () => {
  it('lists streams and models', async () => {
    const s = await (await fetch(`${gw.url}/api/streams`)).json();
    expect(s.streams.map((x: { id: string }) => x.id)).toEqual(['mic-1']);
    const m = await (await fetch(`${gw.url}/api/models`)).json();
    expect(m.models.map((x: { name: string }) => x.name)).toContain('emotion');
  });

  it('validation errors name the field', async () => {
    const post = (body: unknown) => fetch(`${gw.url}/api/streams`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    let r = await post({ id: 'cam-2', source: { kind: 'video-file', path: 'x.mp4', fps: -3 } });
    expect(r.status).toBe(400);
    let body = await r.json();
    expect(body.error).toContain('source.fps');
    expect(body.issues[0].field).toBe('source.fps');
    r = await post({ id: 'bad id!', source: { kind: 'push', media: 'audio' } });
    body = await r.json();
    expect(r.status).toBe(400);
    expect(body.issues.map((i: { field: string }) => i.field)).toEqual(['id']);
    r = await post({ id: 'x', source: { kind: 'teleport' } });
    expect((await r.json()).error).toContain('source.kind');
    r = await fetch(`${gw.url}/api/streams`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{not json' });
    expect(r.status).toBe(400);
    expect((await r.json()).error).toMatch(/not valid JSON/);
    r = await fetch(`${gw.url}/api/streams`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: '{}' });
    expect(r.status).toBe(415);
  });

  it('adds, refuses duplicates, and deletes a stream', async () => {
    const body = JSON.stringify({ id: 'cam-2', source: { kind: 'video-file', path: 'clip.mp4' } });
    let r = await fetch(`${gw.url}/api/streams`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    expect(r.status).toBe(201);
    expect((await r.json()).stream).toMatchObject({ id: 'cam-2', media: 'video' });
    r = await fetch(`${gw.url}/api/streams`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    expect(r.status).toBe(409);
    r = await fetch(`${gw.url}/api/streams/cam-2`, { method: 'DELETE' });
    expect(r.status).toBe(204);
    r = await fetch(`${gw.url}/api/streams/cam-2`, { method: 'DELETE' });
    expect(r.status).toBe(404);
  });

  it('refuses a JSON body over the limit with 413', async () => {
    const r = await fetch(`${gw.url}/api/streams`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ id: 'x', pad: 'y'.repeat(100_000) }) });
    expect(r.status).toBe(413);
  });

  it('POST /api/courses takes JSON arrays, JSON lines and CSV, refuses other types and oversize bodies', async () => {
    let r = await fetch(`${gw.url}/api/courses?stream=uploads`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify([{ course_title: 'Learn Python' }, { course_title: 'Guitar' }]) });
    expect(r.status).toBe(202);
    expect(await r.json()).toMatchObject({ stream: 'uploads', accepted: 2, rejected: 0 });
    r = await fetch(`${gw.url}/api/courses?stream=uploads`, { method: 'POST', headers: { 'content-type': 'application/x-ndjson' }, body: '{"course_title":"a"}\n{"course_title":"b"}\n' });
    expect((await r.json()).accepted).toBe(2);
    r = await fetch(`${gw.url}/api/courses?stream=uploads`, { method: 'POST', headers: { 'content-type': 'text/csv' }, body: 'course_title,price\nExcel,20\n' });
    expect((await r.json()).accepted).toBe(1);
    expect(app.streams.list().find((s) => s.id === 'uploads')?.media).toBe('course');
    r = await fetch(`${gw.url}/api/courses`, { method: 'POST', headers: { 'content-type': 'image/png' }, body: 'x' });
    expect(r.status).toBe(415);
    r = await fetch(`${gw.url}/api/courses?stream=mic-1`, { method: 'POST', headers: { 'content-type': 'text/csv' }, body: 'a\n1\n' });
    expect(r.status).toBe(409);
    r = await fetch(`${gw.url}/api/courses`, { method: 'POST', headers: { 'content-type': 'text/csv' }, body: 'a'.repeat(9 << 20) });
    expect(r.status).toBe(413);
  });

  it('unknown API routes are 404 and wrong methods 405', async () => {
    expect((await fetch(`${gw.url}/api/nope`)).status).toBe(404);
    expect((await fetch(`${gw.url}/api/models`, { method: 'PUT' })).status).toBe(405);
  });
});

describe('static dashboard and reports', () => {
  it('serves index.html with no-cache and hashed assets as immutable, with content types and 304s', async () => {
    let r = await fetch(`${gw.url}/`);
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(r.headers.get('cache-control')).toBe('no-cache');
    r = await fetch(`${gw.url}/assets/main-abc123.js`);
    expect(r.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(r.headers.get('cache-control')).toContain('immutable');
    const etag = r.headers.get('etag')!;
    r = await fetch(`${gw.url}/assets/main-abc123.js`, { headers: { 'if-none-match': etag } });
    expect(r.status).toBe(304);
    r = await fetch(`${gw.url}/assets/main-abc123.css`);
    expect(r.headers.get('content-type')).toBe('text/css; charset=utf-8');
    expect((await fetch(`${gw.url}/missing.js`)).status).toBe(404);
  });

  it.each([
    '/../secret.txt',
    '/assets/../../secret.txt',
    '/..%2fsecret.txt',
    '/%2e%2e/secret.txt',
    '/%2e%2e%2fsecret.txt',
    '/assets/%2e%2e%2f%2e%2e%2fsecret.txt',
    '/..%5csecret.txt',
    '/%252e%252e/secret.txt',
    '/index.html%00.js',
    '/%c0%ae%c0%ae/secret.txt',
    '/reports/courses/../../secret.txt',
    '/reports/courses/%2e%2e/secret.txt',
    '/reports/..%2f..%2fsecret/1',
  ])('rejects traversal attempt %s', async (path) => {
    const r = await rawRequest(gw.url, path);
    expect([400, 404]).toContain(r.status);
    expect(r.body).not.toContain(SECRET);
  });

  it('serves model reports and the course analysis report', async () => {
    let r = await fetch(`${gw.url}/reports/emotion/1`);
    expect(r.status).toBe(200);
    expect(await r.text()).toContain('Emotion model, version 1');
    expect((await fetch(`${gw.url}/reports/emotion/2`)).status).toBe(404);
    expect((await fetch(`${gw.url}/reports/emotion/latest`)).status).toBe(400);
    r = await fetch(`${gw.url}/reports/courses/`);
    expect(r.status).toBe(200);
    expect(await r.text()).toContain('Course analysis');
  });
});

describe('writing the course analysis report from the dashboard (fresh start)', () => {
  it('POST /api/reports/courses writes the report once (concurrent requests share the run), then it is served', async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'streamlens-report-')), 'courses');
    const fresh = new FakeApp({ streams: [] });
    let runs = 0;
    fresh.writeCourseReport = async (out: string) => {
      runs++;
      await new Promise((r) => setTimeout(r, 100));
      mkdirSync(out, { recursive: true });
      writeFileSync(join(out, 'report.html'), '<h1>Written on request</h1>');
    };
    await fresh.start();
    const g = await createGateway(fresh, { port: 0, courseReportDir: dir, env: {} });
    try {
      expect((await fetch(`${g.url}/reports/courses/`)).status).toBe(404);
      expect((await fetch(`${g.url}/api/reports/courses`)).status).toBe(405);
      const [a, b] = await Promise.all([fetch(`${g.url}/api/reports/courses`, { method: 'POST' }), fetch(`${g.url}/api/reports/courses`, { method: 'POST' })]);
      expect([a.status, b.status]).toEqual([200, 200]);
      expect(await a.json()).toMatchObject({ report: '/reports/courses/' });
      expect(runs).toBe(1);
      const r = await fetch(`${g.url}/reports/courses/`);
      expect(r.status).toBe(200);
      expect(await r.text()).toContain('Written on request');
      // A cross-origin page cannot make the server do the work.
      const cross = await fetch(`${g.url}/api/reports/courses`, { method: 'POST', headers: { Origin: 'http://evil.example' } });
      expect(cross.status).toBe(403);
      expect(runs).toBe(1);
    } finally {
      await g.close();
      await fresh.stop();
    }
  });

  it('answers 404 with the command to run when the server has no course data to analyse', async () => {
    const r = await fetch(`${gw.url}/api/reports/courses`, { method: 'POST' });
    expect(r.status).toBe(404);
    expect((await r.json()).error).toMatch(/analyze courses/);
  });
});
