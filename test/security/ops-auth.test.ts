import { describe, expect, it } from 'vitest';
import { startOpsServer } from '../../src/gateway/ops-server.js';
import { GatewaySecurityError } from '../../src/gateway/security.js';
import { rawRequest } from '../helpers/gateway-client.js';
import { ownNonLoopbackIPv4 } from '../helpers/own-address.js';

/** A worker's /metrics and /healthz (its ops thread) follow the gateway's rule beyond loopback. */
const TOKEN = 'worker-token-8e6c4a2f0d1b';
const METRICS_TOKEN = 'worker-metrics-token-1a3c5e';

describe('worker ops port', () => {
  it('refuses to listen beyond loopback without a token', async () => {
    await expect(startOpsServer({ host: ownNonLoopbackIPv4(), port: 0, info: { stage: 't' }, env: {} })).rejects.toBeInstanceOf(GatewaySecurityError);
  });

  it('beyond loopback: /healthz open, /metrics 401 without or with a wrong token, 200 with the token or the metrics token', async () => {
    const ip = ownNonLoopbackIPv4();
    const ops = await startOpsServer({ host: ip, port: 0, info: { stage: 't' }, env: { STREAMLENS_TOKEN: TOKEN, STREAMLENS_METRICS_TOKEN: METRICS_TOKEN } });
    try {
      expect(new URL(ops.url).hostname).toBe(ip);
      expect((await fetch(`${ops.url}/healthz`)).status).toBe(200);
      for (const headers of [{}, { authorization: 'Bearer wrong-token-000000000' }, { authorization: `Basic ${TOKEN}` }] as Record<string, string>[]) {
        const r = await fetch(`${ops.url}/metrics`, { headers });
        expect(r.status).toBe(401);
        expect(await r.text()).not.toContain('streamlens_process_');
      }
      for (const t of [TOKEN, METRICS_TOKEN]) {
        const r = await fetch(`${ops.url}/metrics`, { headers: { authorization: `Bearer ${t}` } });
        expect(r.status).toBe(200);
        expect(await r.text()).toContain('streamlens_process_');
      }
      expect((await fetch(`${ops.url}/metrics?token=${TOKEN}`)).status).toBe(401);
    } finally {
      await ops.close();
    }
  });

  it('on loopback without a token: open, but only to loopback Host names (DNS rebinding guard)', async () => {
    const ops = await startOpsServer({ host: '127.0.0.1', port: 0, info: { stage: 't' }, env: {} });
    try {
      expect((await fetch(`${ops.url}/metrics`)).status).toBe(200);
      expect((await rawRequest(ops.url, '/metrics', { headers: { host: 'evil.example' } })).status).toBe(403);
    } finally {
      await ops.close();
    }
  });
});
