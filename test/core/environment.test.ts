import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/core/config.js';
import { ENVIRONMENT, envValue } from '../../src/core/environment.js';
import { repoRoot } from '../../src/core/paths.js';
import { executionProviderFromEnv, rewriteFromEnv } from '../../src/inference/onnx-session.js';

/** Issue 20 point 3: every environment variable goes through one validated schema, with clear errors. */
describe('environment schema', () => {
  it('defaults when unset, parsed values when set', () => {
    expect(envValue('STREAMLENS_EP', {})).toBe('cpu');
    expect(envValue('STREAMLENS_EP', { STREAMLENS_EP: ' CUDA ' })).toBe('cuda');
    expect(envValue('STREAMLENS_ORT_THREADS', {})).toBe(1);
    expect(envValue('STREAMLENS_ORT_THREADS', { STREAMLENS_ORT_THREADS: '3' })).toBe(3);
    expect(envValue('STREAMLENS_ONNX_REWRITE', {})).toBe(true);
    expect(envValue('STREAMLENS_ONNX_REWRITE', { STREAMLENS_ONNX_REWRITE: 'off' })).toBe(false);
    expect(envValue('KAFKA_SSL', {})).toBe(false);
    expect(envValue('KAFKA_SSL', { KAFKA_SSL: 'yes' })).toBe(true);
    expect(envValue('STREAMLENS_DATA', { STREAMLENS_DATA: '  ' })).toBeUndefined();
    expect(envValue('LOG_FORMAT', { LOG_FORMAT: 'JSON' })).toBe('json');
    expect(rewriteFromEnv({ STREAMLENS_ONNX_REWRITE: '0' })).toBe(false);
    expect(executionProviderFromEnv({})).toBe('cpu');
  });

  it('a bad value is a ConfigError naming the variable, what it takes and what it is for; secrets are not echoed', () => {
    expect(() => envValue('STREAMLENS_EP', { STREAMLENS_EP: 'tpu' })).toThrow(ConfigError);
    expect(() => envValue('STREAMLENS_EP', { STREAMLENS_EP: 'tpu' })).toThrow(`environment variable STREAMLENS_EP="tpu": must be 'cpu' or 'cuda' (onnxruntime execution provider (default 'cpu'))`);
    expect(() => envValue('STREAMLENS_ORT_THREADS', { STREAMLENS_ORT_THREADS: 'many' })).toThrow(/^environment variable STREAMLENS_ORT_THREADS="many": /);
    expect(() => envValue('STREAMLENS_ONNX_REWRITE', { STREAMLENS_ONNX_REWRITE: 'maybe' })).toThrow(/must be 'on' or 'off'/);
    expect(() => envValue('LOG_LEVEL', { LOG_LEVEL: 'loud' })).toThrow(/LOG_LEVEL="loud": must be 'trace' or 'debug'/);
    expect(() => envValue('STREAMLENS_KAFKA_CLIENT', { STREAMLENS_KAFKA_CLIENT: 'rdkafka' })).toThrow(/must be 'platformatic' or 'kafkajs'/);
  });

  it('src reads no environment variable outside the schema, and README lists every one', () => {
    const readme = readFileSync(join(repoRoot, 'README.md'), 'utf8');
    for (const name of Object.keys(ENVIRONMENT)) expect(readme, name).toContain(`| \`${name}\` |`);
  });
});
