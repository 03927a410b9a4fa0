import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGateway, GatewaySecurityError, isLoopbackHost, type Gateway } from '../../src/gateway/index.js';
import { originAllowed, resolveToken } from '../../src/gateway/security.js';
import { FakeApp } from '../helpers/fake-app.js';
import { openSocket, rawRequest, wsUrl } from '../helpers/gateway-client.js';

const TOKEN = 'test-token-0123456789abcdef';

describe('token policy', () => {
  it('knows loopback addresses', () => {
    for (const h of ['127.0.0.1', '127.1.2.3', 'localhost', '::1', '[::1]', '::ffff:127.0.0.1']) expect(isLoopbackHost(h)).toBe(true);
    for (const h of ['0.0.0.0', '::', '192.168.1.10', 'example.com', '10.0.0.1']) expect(isLoopbackHost(h)).toBe(false);
  });

  it('refuses to start on a non-loopback host without a token, with a clear error', async () => {
    expect(() => resolveToken('0.0.0.0', undefined, undefined)).toThrow(/refusing to listen on non-loopback host "0.0.0.0" without a token/);
    expect(() => resolveToken('0.0.0.0', 'short', undefined)).toThrow(/at least 16 characters/);
    expect(resolveToken('0.0.0.0', undefined, TOKEN)).toBe(TOKEN);
    expect(resolveToken('127.0.0.1', undefined, undefined)).toBeUndefined();
    const app = new FakeApp();
    await expect(createGateway(app, { host: '0.0.0.0', port: 0, env: {} })).rejects.toBeInstanceOf(GatewaySecurityError);
    await app.stop();
  });
});

describe('gateway bound to a non-loopback host', () => {
  let app: FakeApp;
  let gw: Gateway;
  let local: string;
  beforeAll(async () => {
    app = new FakeApp({ streams: [{ id: 'mic-1', media: 'audio' }] });
    await app.start();
    gw = await createGateway(app, { host: '0.0.0.0', port: 0, env: { STREAMLENS_TOKEN: TOKEN }, allowedOrigins: ['https://dash.example'] });
    local = `http://127.0.0.1:${new URL(gw.url).port}`;
  });
  afterAll(async () => {
    await gw.close();
    await app.stop();
  });

  it('requires the token for mutating REST calls but not for reads', async () => {
    const body = JSON.stringify({ id: 'f1', source: { kind: 'audio-file', path: 'a.wav' } });
    expect((await fetch(`${local}/api/streams`)).status).toBe(200);
    let r = await fetch(`${local}/api/streams`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    expect(r.status).toBe(401);
    r = await fetch(`${local}/api/streams`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: 'Bearer wrong-token-0123456789' }, body });
    expect(r.status).toBe(401);
    r = await fetch(`${local}/api/streams/mic-1`, { method: 'DELETE' });
    expect(r.status).toBe(401);
    r = await fetch(`${local}/api/courses`, { method: 'POST', headers: { 'content-type': 'text/csv' }, body: 'a\n1\n' });
    expect(r.status).toBe(401);
    r = await fetch(`${local}/api/streams`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` }, body });
    expect(r.status).toBe(201);
  });

  it('requires the token for WebSocket connections (query or header)', async () => {
    await expect(openSocket(wsUrl(local, '/ws'))).rejects.toMatchObject({ status: 401 });
    await expect(openSocket(wsUrl(local, '/ws?token=nope'))).rejects.toMatchObject({ status: 401 });
    await expect(openSocket(wsUrl(local, '/ws/ingest?stream=m2&media=audio'))).rejects.toMatchObject({ status: 401 });
    const a = await openSocket(wsUrl(local, `/ws?token=${TOKEN}`));
    a.close();
    const b = await openSocket(wsUrl(local, '/ws'), { authorization: `Bearer ${TOKEN}` });
    b.close();
  });

  it('checks the Origin of WebSocket upgrades: same origin and allowedOrigins pass, others are refused', async () => {
    const u = wsUrl(local, `/ws?token=${TOKEN}`);
    await expect(openSocket(u, { origin: 'https://evil.example' })).rejects.toMatchObject({ status: 403 });
    (await openSocket(u, { origin: local })).close();
    (await openSocket(u, { origin: 'https://dash.example' })).close();
  });

  it('refuses mutating REST calls from a foreign origin even with the token', async () => {
    const r = await fetch(`${local}/api/streams/mic-1`, { method: 'DELETE', headers: { authorization: `Bearer ${TOKEN}`, origin: 'https://evil.example' } });
    expect(r.status).toBe(403);
  });
});

describe('gateway bound to loopback', () => {
  it('needs no token, but checks Origin and the Host header (DNS rebinding)', async () => {
    const app = new FakeApp();
    const gw = await createGateway(app, { port: 0, env: {} });
    try {
      (await openSocket(wsUrl(gw.url, '/ws'))).close();
      await expect(openSocket(wsUrl(gw.url, '/ws'), { origin: 'http://evil.example' })).rejects.toMatchObject({ status: 403 });
      const r = await rawRequest(gw.url, '/api/streams', { headers: { host: 'evil.example:8080' } });
      expect(r.status).toBe(403);
      const ok = await rawRequest(gw.url, '/api/streams', { headers: { host: `localhost:${new URL(gw.url).port}` } });
      expect(ok.status).toBe(200);
      const post = await fetch(`${gw.url}/api/streams`, { method: 'POST', headers: { 'content-type': 'application/json', origin: 'http://evil.example' }, body: '{}' });
      expect(post.status).toBe(403);
    } finally {
      await gw.close();
      await app.stop();
    }
  });

  it('originAllowed compares scheme-less host:port with the Host header', () => {
    const req = (origin: string | undefined, host: string) => ({ headers: { origin, host } }) as never;
    expect(originAllowed(req(undefined, 'a:1'), [])).toBe(true);
    expect(originAllowed(req('http://a:1', 'a:1'), [])).toBe(true);
    expect(originAllowed(req('http://a:2', 'a:1'), [])).toBe(false);
    expect(originAllowed(req('null', 'a:1'), [])).toBe(false);
    expect(originAllowed(req('file://x', 'x'), [])).toBe(false);
  });
});
