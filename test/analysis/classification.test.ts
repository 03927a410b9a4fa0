import { describe, expect, it } from 'vitest';
import {
  accuracy,
  balancedAccuracy,
  classificationReport,
  cohenKappa,
  logLoss,
} from '../../src/analysis/classification.js';
import { confusionMatrix, normalizeConfusionMatrix } from '../../src/analysis/confusion.js';
import { EXACT, expectClose, reference } from './reference.js';

describe('classification metrics agree with scikit-learn', () => {
  for (const c of reference.classification) {
    it(c.name, () => {
      const e = c.expected;
      const report = classificationReport(c.yTrue, c.yPred, c.labels ?? undefined);
      expect(report.labels).toEqual(e.labels);
      expectClose(report.accuracy, e.accuracy, EXACT, 'accuracy');
      expectClose(accuracy(c.yTrue, c.yPred), e.accuracy, EXACT, 'accuracy()');
      e.perClass.forEach((pc: { label: string; precision: number; recall: number; f1: number; support: number }, i: number) => {
        const got = report.perClass[i];
        expect(got.label).toBe(pc.label);
        expectClose([got.precision, got.recall, got.f1, got.support], [pc.precision, pc.recall, pc.f1, pc.support], EXACT, `class ${pc.label}`);
      });
      for (const avg of ['micro', 'macro', 'weighted'] as const) {
        const got = report[avg];
        expectClose([got.precision, got.recall, got.f1], [e[avg].precision, e[avg].recall, e[avg].f1], EXACT, avg);
      }
      const cm = confusionMatrix(c.yTrue, c.yPred, c.labels ?? undefined);
      expect(cm.counts).toEqual(e.confusion);
      expectClose(normalizeConfusionMatrix(cm, 'true'), e.confusionTrue, EXACT, 'normalize=true');
      expectClose(normalizeConfusionMatrix(cm, 'pred'), e.confusionPred, EXACT, 'normalize=pred');
      expectClose(normalizeConfusionMatrix(cm, 'all'), e.confusionAll, EXACT, 'normalize=all');
      if (e.balancedAccuracy !== undefined) {
        expectClose(balancedAccuracy(c.yTrue, c.yPred), e.balancedAccuracy, EXACT, 'balanced accuracy');
        if (e.balancedAccuracyAdjusted !== null) {
          expectClose(balancedAccuracy(c.yTrue, c.yPred, true), e.balancedAccuracyAdjusted, EXACT, 'adjusted balanced accuracy');
        }
        expectClose(cohenKappa(c.yTrue, c.yPred), e.kappa, EXACT, 'kappa');
        expectClose(cohenKappa(c.yTrue, c.yPred, { weights: 'linear' }), e.kappaLinear, EXACT, 'linear kappa');
        expectClose(cohenKappa(c.yTrue, c.yPred, { weights: 'quadratic' }), e.kappaQuadratic, EXACT, 'quadratic kappa');
      }
    });
  }

  it('reports ill-defined precision for a class that is never predicted', () => {
    const c = reference.classification[0];
    const report = classificationReport(c.yTrue, c.yPred);
    expect(report.perClass.find((p) => p.label === 'sad')?.precision).toBe(0);
    expect(report.warnings.some((w) => w.includes('"sad"') && w.includes('precision'))).toBe(true);
  });

  it('zeroDivision=1 replaces undefined ratios by 1', () => {
    const report = classificationReport(['a', 'a'], ['a', 'a'], ['a', 'b'], { zeroDivision: 1 });
    expect(report.perClass[1]).toMatchObject({ precision: 1, recall: 1, f1: 1, support: 0 });
  });

  for (const c of reference.logLoss) {
    it(`log loss: ${c.name}`, () => expectClose(logLoss(c.yTrue, c.proba), c.expected, EXACT));
  }

  it('rejects bad input with clear errors', () => {
    expect(() => accuracy([], [])).toThrow(/empty/);
    expect(() => accuracy([1, 2], [1])).toThrow(/2 entries.*1/);
    expect(() => accuracy([1, Number.NaN], [1, 2])).toThrow(/NaN/);
    expect(() => accuracy(['a', 1], ['a', 1])).toThrow(/mixes/);
    expect(() => logLoss(['a', 'a'], [0.2, 0.3])).toThrow(/two classes/);
    expect(() => logLoss([0, 1], [[0.5, 0.7], [0.5, 0.5]])).toThrow(/sums to/);
    expect(() => logLoss([0, 1], [[1.2, -0.2], [0.5, 0.5]])).toThrow(/outside/);
  });
});
