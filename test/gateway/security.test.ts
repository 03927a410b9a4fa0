import { describe, expect, it } from 'vitest';
import { createGateway, GatewaySecurityError, isLoopbackHost } from '../../src/gateway/index.js';
import { originAllowed, presentedSocketToken, resolveMetricsToken, resolveToken, sessionValid, sessionValue, tokenMatches, tokenProtocol, writeRefusal } from '../../src/gateway/security.js';
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

  it('a metrics token needs at least 16 characters and the main token beside it', () => {
    expect(resolveMetricsToken(undefined, undefined, TOKEN)).toBeUndefined();
    expect(resolveMetricsToken(undefined, 'metrics-token-0123456789', TOKEN)).toBe('metrics-token-0123456789');
    expect(() => resolveMetricsToken('short', undefined, TOKEN)).toThrow(/at least 16 characters/);
    expect(() => resolveMetricsToken('metrics-token-0123456789', undefined, undefined)).toThrow(/needs the main token/);
  });

  it('compares tokens through digests (any length, never equal to undefined)', () => {
    expect(tokenMatches(TOKEN, TOKEN)).toBe(true);
    expect(tokenMatches(`${TOKEN}x`, TOKEN)).toBe(false);
    expect(tokenMatches('', TOKEN)).toBe(false);
    expect(tokenMatches(undefined, TOKEN)).toBe(false);
    expect(tokenMatches(TOKEN, undefined)).toBe(false);
  });

  it('reads the WebSocket token from the header or the streamlens.bearer subprotocol, never from the URL', () => {
    const req = (headers: Record<string, string>) => ({ headers }) as never;
    expect(presentedSocketToken(req({ 'sec-websocket-protocol': `streamlens, ${tokenProtocol(TOKEN)}` }))).toBe(TOKEN);
    expect(presentedSocketToken(req({ authorization: `Bearer ${TOKEN}` }))).toBe(TOKEN);
    expect(presentedSocketToken(req({ 'sec-websocket-protocol': 'streamlens' }))).toBeUndefined();
    expect(presentedSocketToken(req({ 'sec-websocket-protocol': 'streamlens.bearer.not+base64' }))).toBeUndefined();
    expect(tokenProtocol(TOKEN)).toMatch(/^streamlens\.bearer\.[A-Za-z0-9_-]+$/);
  });

  it('session cookie values are HMACs of an expiry: the token is not in them, other tokens and old values fail', () => {
    const now = Date.now();
    const v = sessionValue(TOKEN, now);
    expect(v).not.toContain(TOKEN);
    expect(sessionValid(v, TOKEN, now + 1000)).toBe(true);
    expect(sessionValid(v, 'another-token-0123456789', now + 1000)).toBe(false);
    expect(sessionValid(v, TOKEN, now + 13 * 3600_000)).toBe(false);
    expect(sessionValid(`${now + 3600_000}.${'A'.repeat(43)}`, TOKEN, now)).toBe(false);
    expect(sessionValid('garbage', TOKEN, now)).toBe(false);
    expect(sessionValid(undefined, TOKEN, now)).toBe(false);
  });

  it('writeRefusal: foreign Origin and cross-site Sec-Fetch-Site are refused; same origin, allowed origins and non-browsers pass', () => {
    const req = (headers: Record<string, string>) => ({ headers: { host: 'a:1', ...headers } }) as never;
    expect(writeRefusal(req({}), [])).toBeUndefined();
    expect(writeRefusal(req({ origin: 'http://a:1', 'sec-fetch-site': 'same-origin' }), [])).toBeUndefined();
    expect(writeRefusal(req({ origin: 'http://evil.example' }), [])).toMatch(/not allowed to write/);
    expect(writeRefusal(req({ 'sec-fetch-site': 'cross-site' }), [])).toMatch(/cross-site write refused/);
    expect(writeRefusal(req({ origin: 'http://a:1', 'sec-fetch-site': 'same-site' }), [])).toMatch(/cross-site write refused/);
    expect(writeRefusal(req({ origin: 'https://dash.example', 'sec-fetch-site': 'cross-site' }), ['https://dash.example'])).toBeUndefined();
  });
});

// Every endpoint with no token, a wrong one and the right one, on this machine's own non-loopback
// address: test/security/gateway-auth.test.ts.

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
