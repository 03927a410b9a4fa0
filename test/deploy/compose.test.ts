import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { allTopics } from '../../src/bus/topics.js';
import { parseConfig } from '../../src/core/config.js';
import { repoRoot } from '../../src/core/paths.js';
import { STAGE_NAMES } from '../../src/app/stages.js';

// No Docker engine runs here, so the compose file is checked against the code instead.
const compose = parse(readFileSync(join(repoRoot, 'docker-compose.yml'), 'utf8'), { merge: true }) as {
  services: Record<string, { command?: string[] | string; environment?: Record<string, string | number>; ports?: string[]; volumes?: string[]; image?: string; build?: string }>;
};

describe('docker-compose.yml', () => {
  it('runs every stage as its own worker service on Kafka', () => {
    for (const stage of STAGE_NAMES) {
      const svc = compose.services[stage.replace(':', '-')];
      expect(svc, `service for ${stage}`).toBeDefined();
      expect(svc.command).toEqual(['worker', stage, '--bus', 'kafka', '--port', '9464']);
      expect(svc.environment?.KAFKA_BROKERS).toBe('kafka:9092');
      expect(svc.build).toBe('.');
    }
  });

  it('exposes the gateway on the default port of `npm start`', () => {
    const defaults = parseConfig({});
    const gw = compose.services.gateway;
    expect(gw.ports).toContain(`${defaults.gateway.port}:${defaults.gateway.port}`);
    expect(gw.command).toContain(String(defaults.gateway.port));
    expect(gw.environment?.STREAMLENS_TOKEN).toBeTruthy();
  });

  it('creates exactly the topics the code uses, with the default partition count', () => {
    const init = compose.services['kafka-init'];
    const script = Array.isArray(init.command) ? init.command.join('\n') : String(init.command);
    const created = [...script.matchAll(/--topic (\S+) --partitions (\d+)/g)].map((m) => ({ name: m[1], partitions: Number(m[2]) }));
    expect(created.sort((a, b) => a.name.localeCompare(b.name))).toEqual(allTopics().sort((a, b) => a.name.localeCompare(b.name)));
  });

  it('runs Kafka in KRaft mode (no ZooKeeper) with a message limit above the bus limit', () => {
    const k = compose.services.kafka;
    expect(k.image).toMatch(/^apache\/kafka:3\.9\./);
    expect(k.environment?.KAFKA_PROCESS_ROLES).toBe('broker,controller');
    expect(Object.keys(compose.services).some((s) => /zookeeper/i.test(s))).toBe(false);
    expect(Number(k.environment?.KAFKA_MESSAGE_MAX_BYTES)).toBeGreaterThan(8 * 1024 * 1024);
  });

  it('has Prometheus scrape the gateway and every worker, and Grafana provisioned', () => {
    const prom = parse(readFileSync(join(repoRoot, 'deploy/prometheus/prometheus.yml'), 'utf8')) as {
      scrape_configs: { static_configs: { targets: string[] }[]; authorization?: { type?: string; credentials_file?: string } }[];
    };
    const targets = prom.scrape_configs.flatMap((c) => c.static_configs.flatMap((s) => s.targets));
    expect(targets).toContain('gateway:8080');
    for (const stage of STAGE_NAMES) expect(targets).toContain(`${stage.replace(':', '-')}:9464`);
    // /metrics needs a token beyond localhost: Prometheus sends the metrics token every service is given.
    const metricsToken = compose.services.gateway.environment?.STREAMLENS_METRICS_TOKEN;
    expect(String(metricsToken).length).toBeGreaterThanOrEqual(16);
    for (const stage of STAGE_NAMES) expect(compose.services[stage.replace(':', '-')].environment?.STREAMLENS_METRICS_TOKEN).toBe(metricsToken);
    const prometheus = compose.services.prometheus as { environment?: Record<string, string>; entrypoint?: string[] };
    expect(prometheus.environment?.STREAMLENS_METRICS_TOKEN).toBe(metricsToken);
    for (const c of prom.scrape_configs) {
      expect(c.authorization?.type).toBe('Bearer');
      expect(prometheus.entrypoint?.join(' ')).toContain(`> ${c.authorization?.credentials_file} &&`);
    }
    const grafana = compose.services.grafana;
    expect(grafana.volumes?.some((v) => v.startsWith('./deploy/grafana/provisioning'))).toBe(true);
    expect(grafana.volumes?.some((v) => v.startsWith('./deploy/grafana/dashboards'))).toBe(true);
  });
});
