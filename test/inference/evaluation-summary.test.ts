import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../../src/core/paths.js';
import { evaluationSummary } from '../../src/inference/evaluation-summary.js';

const manifest = (m: string) => JSON.parse(readFileSync(join(repoRoot, 'models', m, 'manifest.json'), 'utf8')) as { metrics: Record<string, unknown>; training?: Record<string, unknown> };

describe('evaluation summary of a model manifest', () => {
  it('image: accuracy, macro-F1 and per-class recall per split, the test split first', () => {
    const m = manifest('animal/2');
    const e = evaluationSummary(m.metrics, m.training);
    expect(e[0].split).toMatch(/^test split \(n=\d+\)$/);
    expect(e[0].accuracy).toBeGreaterThan(0.5);
    expect(e[0].macroF1).toBeGreaterThan(0.5);
    expect(Object.keys(e[0].recall!).sort()).toEqual(['cat', 'dog', 'fox']);
    expect(e.some((x) => x.split.startsWith('validation'))).toBe(true);
  });

  it('audio: the speaker-group cross-validation, pooled out-of-fold, with per-class recall', () => {
    const m = manifest('emotion/4');
    const [e] = evaluationSummary(m.metrics, m.training);
    expect(e.split).toMatch(/leave-speakers-out.*pooled out-of-fold \(n=1080\)/);
    expect(e.accuracy).toBeCloseTo(0.585, 2);
    expect(Object.keys(e.recall!)).toContain('neutral');
  });

  it('course: one entry per task on the held-out test split; tasks without accuracy are left out', () => {
    const m = manifest('course/3');
    const e = evaluationSummary(m.metrics, m.training);
    expect(e.map((x) => x.task)).toEqual(['subject', 'popularity']);
    expect(e[0].split).toBe('held-out test split (n=588)');
  });

  it('nothing recorded: nothing shown', () => {
    expect(evaluationSummary({})).toEqual([]);
  });
});
