import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registry } from '../../src/core/metrics.js';
import { repoRoot } from '../../src/core/paths.js';
import { createGateway, type Gateway } from '../../src/gateway/index.js';
import { FakeApp } from '../helpers/fake-app.js';
// The inference workers' monitoring gauges (registered when the module loads, as in a worker).
import '../../src/monitoring/live.js';
// ... and their shadow-version metrics (the gateway's feedback metrics come with the gateway).
import '../../src/monitoring/shadow-agreement.js';

const file = JSON.parse(readFileSync(join(repoRoot, 'deploy', 'grafana', 'dashboards', 'streamlens.json'), 'utf8')) as {
  uid: string;
  panels: { type: string; title: string; datasource: { uid: string }; targets: { expr: string }[] }[];
};
// Row panels only group the panels below them: no queries, no datasource.
const dashboard = { ...file, panels: file.panels.filter((p) => p.type !== 'row') };

describe('Grafana dashboard', () => {
  let app: FakeApp;
  let gw: Gateway;
  beforeAll(async () => {
    app = new FakeApp();
    await app.start();
    gw = await createGateway(app, { port: 0, env: {}, statsIntervalMs: 50 });
    await new Promise((r) => setTimeout(r, 200));
  });
  afterAll(async () => {
    await gw.close();
    await app.stop();
  });

  it('queries only metrics that streamlens exports', async () => {
    const exported = new Set((await registry.getMetricsAsJSON()).map((m) => m.name));
    const used = new Set(dashboard.panels.flatMap((p) => p.targets.flatMap((t) => t.expr.match(/streamlens_[a-z0-9_]+/g) ?? [])).map((n) => n.replace(/_(bucket|sum|count)$/, '')));
    expect(used.size).toBeGreaterThan(8);
    expect([...used].filter((n) => !exported.has(n))).toEqual([]);
  });

  it('covers the key metrics, with latency quantiles from the histogram', () => {
    const exprs = dashboard.panels.flatMap((p) => p.targets.map((t) => t.expr)).join('\n');
    expect(exprs).toMatch(/histogram_quantile\(0\.5, sum by \(le\) \(rate\(streamlens_stage_end_to_end_latency_seconds_bucket/);
    expect(exprs).toMatch(/histogram_quantile\(0\.99,/);
    for (const m of ['streamlens_stage_messages_in_total', 'streamlens_stage_batch_size_sum', 'streamlens_dropped_total', 'streamlens_stage_dead_lettered_total', 'streamlens_consumer_lag', 'streamlens_model_version_info']) expect(exprs).toContain(m);
  });

  it('has the live quality panels: accuracy from feedback (PromQL from the counters), its confusion matrix, shadow agreement', () => {
    const exprs = dashboard.panels.flatMap((p) => p.targets.map((t) => t.expr)).join('\n');
    expect(exprs).toContain('sum by (model, version) (increase(streamlens_feedback_total{correct="true"}[1h])) / sum by (model, version) (increase(streamlens_feedback_total[1h]))');
    expect(exprs).toContain('sum by (model, version, label, predicted) (streamlens_feedback_total)');
    expect(exprs).toContain('streamlens_shadow_agreement');
  });

  it('exports the served model versions for the versions panel', async () => {
    const text = await registry.metrics();
    expect(text).toMatch(/streamlens_model_version_info\{model="emotion",version="1"\} 1/);
  });

  it('every panel but a row has queries', () => {
    expect(file.panels.filter((p) => p.type !== 'row' && !(p.targets?.length > 0)).map((p) => p.title)).toEqual([]);
  });

  it('uses the provisioned datasource', () => {
    const ds = parse(readFileSync(join(repoRoot, 'deploy', 'grafana', 'provisioning', 'datasources', 'prometheus.yaml'), 'utf8')) as { datasources: { uid: string }[] };
    const uid = ds.datasources[0].uid;
    for (const p of dashboard.panels) expect(p.datasource.uid).toBe(uid);
    const providers = parse(readFileSync(join(repoRoot, 'deploy', 'grafana', 'provisioning', 'dashboards', 'streamlens.yaml'), 'utf8')) as { providers: { options: { path: string } }[] };
    expect(providers.providers[0].options.path).toBe('/var/lib/grafana/dashboards');
  });
});
