/**
 * The image report's statistics against scikit-learn and statsmodels (test/fixtures/image-analysis.json,
 * written by scripts/fixtures/image_analysis_fixtures.py): micro-average ROC AUC (roc_auc_score
 * average="micro"), AP per class / micro / macro (average_precision_score), McNemar exact and
 * chi-square with continuity correction, and the z-test on the 0/1 correct indicators.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../../src/core/paths.js';
import { rocCurvesOvr } from '../../src/analysis/curves.js';
import { comparePairedClassifiers } from '../../src/analysis/paired-classifier-comparison.js';
import { scoreCurveSections, scoreCurveSummary } from '../../src/analysis/score-curve-sections.js';
import { EXACT, PVALUE, expectClose } from './reference.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
const fixture: any = JSON.parse(readFileSync(join(repoRoot, 'test', 'fixtures', 'image-analysis.json'), 'utf8'));
const labels: string[] = fixture.labels;

describe('one-vs-rest curves of a 3-class scorer (scikit-learn)', () => {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- fixture JSON written by scripts/fixtures/image_analysis_fixtures.py
  fixture.curves.forEach((c: any, k: number) => {
    it(`case ${k}: ROC AUC per class, micro (roc_auc_score average="micro") and macro`, () => {
      const s = scoreCurveSummary(c.yTrue, c.scores, labels);
      expectClose(labels.map((l) => s.rocAuc.perClass[l]), c.rocAucPerClass, EXACT, 'rocAucPerClass');
      expectClose(s.rocAuc.micro, c.rocAucMicro, EXACT, 'rocAucMicro');
      expectClose(s.rocAuc.macro, c.rocAucMacro, EXACT, 'rocAucMacro');
      // The drawn micro-average curve is sklearn's roc_curve on the pooled one-hot cells, and its area is the micro AUC.
      const micro = rocCurvesOvr(c.yTrue, c.scores, labels).micro;
      expectClose(micro.fpr, c.microRocCurve.fpr, EXACT, 'micro fpr');
      expectClose(micro.tpr, c.microRocCurve.tpr, EXACT, 'micro tpr');
      expectClose(micro.auc, c.rocAucMicro, EXACT, 'micro curve area');
    });
    it(`case ${k}: average precision per class, micro and macro (average_precision_score)`, () => {
      const s = scoreCurveSummary(c.yTrue, c.scores, labels);
      expectClose(labels.map((l) => s.averagePrecision.perClass[l]), c.averagePrecisionPerClass, EXACT, 'AP per class');
      expectClose(s.averagePrecision.micro, c.averagePrecisionMicro, EXACT, 'AP micro');
      expectClose(s.averagePrecision.macro, c.averagePrecisionMacro, EXACT, 'AP macro');
    });
  });

  it('the report sections are two charts and a table whose rows are those areas', () => {
    const c = fixture.curves[0];
    const sections = scoreCurveSections('model X', c.yTrue, c.scores, labels);
    expect(sections.map((s) => s.kind)).toEqual(['chart', 'chart', 'table']);
    const table = sections[2] as { rows: (string | number)[][] };
    expect(table.rows.map((r) => r[0])).toEqual([...labels, 'micro-average', 'macro-average (mean of per-class areas)']);
    expectClose(table.rows[3][1], c.rocAucMicro, EXACT, 'table micro AUC');
    expectClose(table.rows[3][2], c.averagePrecisionMicro, EXACT, 'table micro AP');
  });
});

describe('paired comparison of two classifiers (statsmodels)', () => {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- fixture JSON written by scripts/fixtures/image_analysis_fixtures.py
  fixture.paired.forEach((p: any, k: number) => {
    it(`case ${k}: table ${JSON.stringify(p.table)}: McNemar exact and chi-square, z-test on correct indicators`, () => {
      const r = comparePairedClassifiers(p.yTrue, p.predA, p.predB);
      expect(r.table).toEqual(p.table);
      expectClose(r.accuracyA, p.accuracyA, EXACT, 'accuracyA');
      expectClose(r.accuracyB, p.accuracyB, EXACT, 'accuracyB');
      expectClose(r.mcnemarExact.statistic, p.mcnemarExact.statistic, EXACT, 'exact statistic');
      expectClose(r.mcnemarExact.pValue, p.mcnemarExact.pValue, PVALUE, 'exact p');
      if (p.mcnemarChiSquare === null) expect(r.mcnemarChiSquare).toBeNull();
      else {
        expectClose(r.mcnemarChiSquare!.statistic, p.mcnemarChiSquare.statistic, EXACT, 'chi2 statistic');
        expectClose(r.mcnemarChiSquare!.pValue, p.mcnemarChiSquare.pValue, PVALUE, 'chi2 p');
      }
      expectClose(r.zTest!.statistic, p.zTest.statistic, EXACT, 'z');
      expectClose(r.zTest!.pValue, p.zTest.pValue, PVALUE, 'z p');
    });
  });

  it('z-test is null (not a made-up number) when every outcome is the same', () => {
    const y = ['a', 'b', 'a', 'b'];
    const r = comparePairedClassifiers(y, y, y);
    expect(r.zTest).toBeNull();
    expect(r.mcnemarChiSquare).toBeNull();
    expect(r.mcnemarExact.pValue).toBe(1);
  });
});
