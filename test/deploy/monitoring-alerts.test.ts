import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../../src/core/paths.js';
import { monitorMetrics } from '../../src/monitoring/live.js';

const read = (p: string) => readFileSync(join(repoRoot, p), 'utf8');
type Rule = { alert: string; expr: string; for: string; labels: Record<string, string>; annotations: Record<string, string> };

describe('monitoring alerts, Prometheus and Grafana', () => {
  const rules = (parse(read('deploy/prometheus/alerts.yml')) as { groups: { rules: Rule[] }[] }).groups.flatMap((g) => g.rules);
  const runbook = read('docs/MONITORING.md');
  const anchors = new Set([...runbook.matchAll(/^## (.+)$/gm)].map((m) => m[1].toLowerCase().replace(/[^a-z0-9 -]/g, '').replace(/ /g, '-')));
  const metricNames = Object.values(monitorMetrics).map((m) => (m as unknown as { name: string }).name);

  it('every rule: for 10m, a severity, a summary and a runbook link to a section of docs/MONITORING.md, on a gauge the code exports', () => {
    expect(rules.length).toBeGreaterThanOrEqual(4);
    for (const r of rules) {
      expect(r.for, r.alert).toBe('10m');
      expect(['warning', 'critical']).toContain(r.labels.severity);
      expect(r.annotations.summary).toBeTruthy();
      const [file, anchor] = r.annotations.runbook_url.split('#');
      expect(file).toBe('docs/MONITORING.md');
      expect(anchors.has(anchor), `${r.alert} -> #${anchor}`).toBe(true);
      const used = [...r.expr.matchAll(/streamlens_monitor_[a-z_]+/g)].map((m) => m[0]);
      expect(used.length).toBeGreaterThan(0);
      for (const u of used) expect(metricNames).toContain(u);
    }
  });

  it('the compose Prometheus loads the rules file', () => {
    const prom = parse(read('deploy/prometheus/prometheus.yml')) as { rule_files: string[] };
    expect(prom.rule_files).toContain('/etc/prometheus/alerts.yml');
    const compose = parse(read('docker-compose.yml'), { merge: true }) as { services: Record<string, { volumes?: string[] }> };
    expect(compose.services.prometheus.volumes).toContain('./deploy/prometheus/alerts.yml:/etc/prometheus/alerts.yml:ro');
  });

  it('Grafana has a panel for each alerted gauge and one for the firing alerts', () => {
    const dash = JSON.parse(read('deploy/grafana/dashboards/streamlens.json')) as { panels: { id: number; title: string; targets?: { expr: string }[] }[] };
    const exprs = dash.panels.flatMap((p) => (p.targets ?? []).map((t) => t.expr));
    for (const r of rules) for (const u of r.expr.match(/streamlens_monitor_[a-z_]+/g)!) expect(exprs.some((e) => e.includes(u)), u).toBe(true);
    expect(exprs.some((e) => e.startsWith('ALERTS{'))).toBe(true);
    const ids = dash.panels.map((p) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
  });
});
