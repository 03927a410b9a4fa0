import { describe, expect, it } from 'vitest';
import {
  averagePrecision,
  averagePrecisionOvr,
  precisionRecallCurve,
  precisionRecallCurvesOvr,
  rocAucBinary,
  rocAucOvr,
  rocCurve,
  rocCurvesOvr,
} from '../../src/analysis/curves.js';
import { EXACT, expectClose, reference } from './reference.js';

describe('ROC / PR curves agree with scikit-learn', () => {
  for (const c of reference.binaryCurves) {
    it(c.name, () => {
      const e = c.expected;
      const opts = c.positiveLabel === null ? {} : { positiveLabel: c.positiveLabel };
      expectClose(rocCurve(c.yTrue, c.scores, opts), e.roc, EXACT, 'roc');
      expectClose(rocCurve(c.yTrue, c.scores, { ...opts, dropIntermediate: false }), e.rocAll, EXACT, 'roc (all points)');
      expectClose(precisionRecallCurve(c.yTrue, c.scores, opts), e.pr, EXACT, 'pr');
      expectClose(averagePrecision(c.yTrue, c.scores, c.positiveLabel ?? undefined), e.averagePrecision, EXACT, 'AP');
      if (e.auc !== undefined) expectClose(rocAucBinary(c.yTrue, c.scores, c.positiveLabel ?? undefined), e.auc, EXACT, 'auc');
      else expect(() => rocAucBinary(c.yTrue, c.scores, c.positiveLabel ?? undefined)).toThrow(/Only one class/);
    });
  }

  for (const c of reference.multiclass) {
    it(`one-vs-rest: ${c.name}`, () => {
      const e = c.expected;
      expectClose(rocAucOvr(c.yTrue, c.scores, { labels: c.labels }), e.aucMacro, EXACT, 'macro AUC');
      expectClose(rocAucOvr(c.yTrue, c.scores, { labels: c.labels, average: 'weighted' }), e.aucWeighted, EXACT, 'weighted AUC');
      expectClose(rocAucOvr(c.yTrue, c.scores, { labels: c.labels, average: 'micro' }), e.aucMicro, EXACT, 'micro AUC');
      expectClose(averagePrecisionOvr(c.yTrue, c.scores, { labels: c.labels }), e.apMacro, EXACT, 'macro AP');
      expectClose(averagePrecisionOvr(c.yTrue, c.scores, { labels: c.labels, average: 'micro' }), e.apMicro, EXACT, 'micro AP');
      expectClose(averagePrecisionOvr(c.yTrue, c.scores, { labels: c.labels, average: 'weighted' }), e.apWeighted, EXACT, 'weighted AP');
      const curves = rocCurvesOvr(c.yTrue, c.scores, c.labels);
      curves.perClass.forEach((pc, i) => {
        const ref = e.perClass[i];
        expect(pc.label).toBe(ref.label);
        expectClose([pc.fpr, pc.tpr, pc.thresholds, pc.auc], [ref.fpr, ref.tpr, ref.thresholds, ref.auc], EXACT, `class ${ref.label}`);
      });
      expectClose(curves.micro, e.micro, EXACT, 'micro curve');
      expectClose(curves.macro, e.macro, EXACT, 'macro curve');
      const pr = precisionRecallCurvesOvr(c.yTrue, c.scores, c.labels);
      expectClose(pr.micro.averagePrecision, e.apMicro, EXACT, 'micro AP from curves');
    });
  }

  it('throws clear errors for undefined or malformed input', () => {
    expect(() => rocAucBinary([1, 1, 1], [0.1, 0.2, 0.3])).toThrow(/Only one class present/);
    expect(() => rocCurve([0, 1], [0.1, Number.NaN])).toThrow(/NaN/);
    expect(() => rocCurve(['a', 'b'], [0.1, 0.2])).toThrow(/positiveLabel/);
    expect(() => rocAucOvr([0, 1, 2], [[0.5, 0.5, 0], [0.2, 0.8, 0], [0.1, 0.1, 0.7]])).toThrow(/scores\[2\] sums to 0\.8999/);
    expect(() => rocAucOvr([0, 1, 1], [[0.5, 0.3, 0.2], [0.2, 0.7, 0.1], [0.1, 0.2, 0.7]], { labels: [0, 1, 2] })).toThrow(/Only one class/);
    expect(() => rocCurvesOvr([0, 1, 2], [[1, 0], [0, 1], [1, 0]])).toThrow(/2 columns but there are 3 classes/);
  });
});
