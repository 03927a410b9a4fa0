import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registry } from '../../src/core/metrics.js';
import { ClientRateLimiter } from '../../src/gateway/client-rate-limit.js';
import { createGateway, type Gateway } from '../../src/gateway/index.js';
import { FakeApp } from '../helpers/fake-app.js';

/**
 * Issue 24 point 6: the REST API is rate limited per client address (a burst of twice the rate,
 * then the rate; over it 429 with Retry-After and a JSON error), counted in
 * streamlens_gateway_rejected_total{where="rest",reason="rate"}; other addresses are not affected.
 */
async function rejectedRate(): Promise<number> {
  const m = (await registry.getMetricsAsJSON()).find((x) => x.name === 'streamlens_gateway_rejected_total');
  const v = (m?.values ?? []).find((x) => x.labels.where === 'rest' && x.labels.reason === 'rate');
  return v ? Number(v.value) : 0;
}

function get(url: string, localAddress: string): Promise<{ status: number; retryAfter?: string; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { localAddress, headers: { Host: '127.0.0.1' } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, retryAfter: res.headers['retry-after'] as string | undefined, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('client rate limiter', () => {
  it('a burst, then the rate, per client; the client map is bounded', () => {
    let t = 0;
    const rl = new ClientRateLimiter(5, 10, 3, () => t);
    for (let i = 0; i < 10; i++) expect(rl.allow('a')).toBe(true);
    expect(rl.allow('a')).toBe(false);
    expect(rl.allow('b')).toBe(true);
    t = 1000;
    for (let i = 0; i < 5; i++) expect(rl.allow('a')).toBe(true);
    expect(rl.allow('a')).toBe(false);
    rl.allow('c');
    rl.allow('d');
    expect(rl.clients).toBe(3);
  });
});

describe('REST API rate limit', () => {
  let app: FakeApp;
  let gw: Gateway;
  beforeAll(async () => {
    app = new FakeApp();
    await app.start();
    gw = await createGateway(app, { port: 0, env: {}, limits: { maxApiRequestsPerSec: 5 } });
  });
  afterAll(async () => {
    await gw.close();
    await app.stop();
  });

  it('answers 429 past the burst from one address, with Retry-After and a clear JSON error; another address still gets through', async () => {
    const before = await rejectedRate();
    const url = `${gw.url}/api/streams`;
    const statuses: number[] = [];
    let limited: { status: number; retryAfter?: string; body: string } | undefined;
    for (let i = 0; i < 15; i++) {
      const r = await get(url, '127.0.0.1');
      statuses.push(r.status);
      if (r.status === 429) limited ??= r;
    }
    // A burst of 10 (twice the rate) passes; the requests take a few ms each, so at most one more token refills.
    expect(statuses.slice(0, 10).every((s) => s === 200), JSON.stringify(statuses)).toBe(true);
    expect(statuses.filter((s) => s === 429).length).toBeGreaterThanOrEqual(3);
    expect(limited?.retryAfter).toBe('1');
    expect(JSON.parse(limited!.body).error).toMatch(/rate limit exceeded: more than 5 API requests per second from this address/);
    expect(await rejectedRate()).toBe(before + statuses.filter((s) => s === 429).length);
    const other = await get(url, '127.0.0.2');
    expect(other.status).toBe(200);
    // The dashboard's health check is not an API call and is never limited.
    expect((await get(`${gw.url}/healthz`, '127.0.0.1')).status).toBe(200);
  });
});
