/**
 * Report sections for a multiclass scorer's one-vs-rest curves: ROC per class with the micro and
 * macro averages, precision-recall per class with the micro average, and a table of the areas
 * (ROC AUC as scikit-learn roc_auc_score, AP as average_precision_score).
 */
import { prChart, rocChart } from './charts.js';
import { averagePrecisionOvr, precisionRecallCurvesOvr, rocAucOvr, rocCurvesOvr } from './curves.js';
import type { Label } from './labels.js';
import type { ReportSection } from './report.js';

export interface ScoreCurveSummary {
  labels: Label[];
  rocAuc: { perClass: Record<string, number>; micro: number; macro: number };
  averagePrecision: { perClass: Record<string, number>; micro: number; macro: number };
}

/** ROC AUC and AP per class, micro and macro (`scores` n x k probabilities, columns in `labels` order). */
export function scoreCurveSummary(yTrue: readonly Label[], scores: readonly (readonly number[])[], labels: readonly Label[]): ScoreCurveSummary {
  const roc = rocCurvesOvr(yTrue, scores, labels);
  const pr = precisionRecallCurvesOvr(yTrue, scores, labels);
  return {
    labels: [...labels],
    rocAuc: {
      perClass: Object.fromEntries(roc.perClass.map((c) => [String(c.label), c.auc])),
      micro: rocAucOvr(yTrue, scores, { labels, average: 'micro' }),
      macro: rocAucOvr(yTrue, scores, { labels, average: 'macro' }),
    },
    averagePrecision: {
      perClass: Object.fromEntries(pr.perClass.map((c) => [String(c.label), c.averagePrecision])),
      micro: pr.micro.averagePrecision,
      macro: averagePrecisionOvr(yTrue, scores, { labels, average: 'macro' }),
    },
  };
}

/** The ROC chart, the PR chart and the table of areas for one model. */
export function scoreCurveSections(name: string, yTrue: readonly Label[], scores: readonly (readonly number[])[], labels: readonly Label[]): ReportSection[] {
  const roc = rocCurvesOvr(yTrue, scores, labels);
  const pr = precisionRecallCurvesOvr(yTrue, scores, labels);
  const s = scoreCurveSummary(yTrue, scores, labels);
  return [
    {
      kind: 'chart',
      title: `${name}: ROC curves, one-vs-rest per class, micro and macro average`,
      caption: 'micro: every (item, class) cell pooled; macro: per-class true positive rates averaged on a common false positive grid',
      spec: rocChart(
        [
          ...roc.perClass.map((c) => ({ name: String(c.label), fpr: c.fpr, tpr: c.tpr, auc: c.auc })),
          { name: 'micro-average', fpr: roc.micro.fpr, tpr: roc.micro.tpr, auc: roc.micro.auc },
          { name: 'macro-average', fpr: roc.macro.fpr, tpr: roc.macro.tpr, auc: roc.macro.auc },
        ],
        { title: `ROC, ${name}` },
      ),
    },
    {
      kind: 'chart',
      title: `${name}: precision-recall curves with average precision`,
      caption: 'AP = sum over thresholds of (R_n - R_{n-1}) P_n (scikit-learn average_precision_score)',
      spec: prChart(
        [
          ...pr.perClass.map((c) => ({ name: String(c.label), precision: c.precision, recall: c.recall, averagePrecision: c.averagePrecision })),
          { name: 'micro-average', precision: pr.micro.precision, recall: pr.micro.recall, averagePrecision: pr.micro.averagePrecision },
        ],
        { title: `Precision-recall, ${name}` },
      ),
    },
    {
      kind: 'table',
      title: `${name}: areas under the curves`,
      columns: ['curve', 'ROC AUC', 'average precision'],
      rows: [
        ...s.labels.map((l) => [String(l), s.rocAuc.perClass[String(l)], s.averagePrecision.perClass[String(l)]]),
        ['micro-average', s.rocAuc.micro, s.averagePrecision.micro],
        ['macro-average (mean of per-class areas)', s.rocAuc.macro, s.averagePrecision.macro],
      ],
    },
  ];
}
