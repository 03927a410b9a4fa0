import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { kafkaTuning, platformaticConnection } from '../../src/bus/kafka-common.js';
import { parseConfig } from '../../src/core/config.js';
import { repoRoot } from '../../src/core/paths.js';
import { redactSecrets } from '../../src/core/redact.js';

/** Kafka SASL settings: taken from the config, handed to the client, never shown back. */
const PASSWORD = 'sasl-Pa55word-7Yq2';

describe('Kafka SASL settings', () => {
  it('are validated with the field named', () => {
    const ok = parseConfig({ bus: { kind: 'kafka', brokers: ['b:9092'], sasl: { mechanism: 'scram-sha-512', username: 'svc', password: PASSWORD }, ssl: true } });
    expect(ok.bus).toMatchObject({ sasl: { mechanism: 'scram-sha-512', username: 'svc' }, ssl: true });
    expect(() => parseConfig({ bus: { kind: 'kafka', brokers: ['b:9092'], sasl: { mechanism: 'gssapi', username: 'svc', password: 'x' } } })).toThrow(/bus\.sasl\.mechanism/);
  });

  it('reach the client options (platformatic spelling) and the password is registered for redaction', () => {
    const t = kafkaTuning({ brokers: ['b:9092'], sasl: { mechanism: 'scram-sha-256', username: 'svc', password: PASSWORD }, ssl: true });
    expect(platformaticConnection(t)).toEqual({ sasl: { mechanism: 'SCRAM-SHA-256', username: 'svc', password: PASSWORD }, tls: {} });
    expect(platformaticConnection(kafkaTuning({ brokers: ['b:9092'] }))).toEqual({});
    expect(redactSecrets(`SASL authentication failed for svc with ${PASSWORD}`)).toBe('SASL authentication failed for svc with ***');
  });

  it('`streamlens config` prints the password as ***', () => {
    const dir = mkdtempSync(join(tmpdir(), 'streamlens-sasl-'));
    try {
      const file = join(dir, 'c.yaml');
      writeFileSync(file, `bus: { kind: kafka, brokers: [b:9092], sasl: { mechanism: plain, username: svc, password: ${PASSWORD} } }\ngateway: { token: cli-gateway-token-0123456789 }\n`);
      const out = execFileSync(process.execPath, [join(repoRoot, 'bin', 'streamlens.mjs'), 'config', file], { encoding: 'utf8' });
      const printed = JSON.parse(out) as { bus: { sasl: { password: string; username: string } }; gateway: { token: string } };
      expect(printed.bus.sasl).toEqual({ mechanism: 'plain', username: 'svc', password: '***' });
      expect(printed.gateway.token).toBe('***');
      expect(out).not.toContain(PASSWORD);
      expect(out).not.toContain('cli-gateway-token-0123456789');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
