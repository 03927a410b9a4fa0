import { describe, expect, it } from 'vitest';
import { describeRepository } from '../../src/inference/describe-repository.js';
import { resolveModel } from '../../src/models/model-repository.js';

describe('streamlens models list (describeRepository) on the shipped repository', () => {
  const rows = describeRepository();

  it('lists every shipped model as loadable, with the served held-out numbers as headline', () => {
    for (const name of ['animal', 'emotion', 'gender', 'course']) expect(rows.find((r) => r.name === name)?.status).toBe('ok');
    const animal = resolveModel('animal').manifest;
    const row = rows.find((r) => r.name === 'animal' && r.version === animal.version)!;
    // The served model: the gated one when the version has out-of-distribution gates, else the cascade or the shipped kind.
    const servedKind = animal.metrics['transfer-cascade-gated'] ? 'transfer-cascade-gated' : animal.cascade ? 'transfer-cascade' : String(animal.training.model);
    expect(servedKind).toBe('transfer-cascade-gated');
    const served = (animal.metrics[servedKind] as { test: { accuracy: number } }).test;
    expect(row.headline).toContain(`accuracy=${served.accuracy.toFixed(3)}`);
    if (animal.cascade) expect(row.headline).toContain(`cascade=${animal.cascade.threshold}`);
    const emotion = rows.find((r) => r.name === 'emotion')!;
    expect(emotion.headline).toMatch(/^accuracy=0\.\d{3} macroF1=0\.\d{3}/);
  });
});
