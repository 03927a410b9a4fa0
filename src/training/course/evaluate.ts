import { accuracy, classificationReport, macroF1 } from '../../analysis/classification.js';
import { rocAucBinary } from '../../analysis/curves.js';
import { meanAbsoluteError, r2Score, rootMeanSquaredError } from '../../analysis/regression.js';
import type { EnrichedCourse } from '../../features/course/enrich.js';
import { type FittedCandidate, designMatrix } from './candidates.js';
import type { CourseTask } from './tasks.js';

/** Metrics of a fitted course model on labelled records (analysis toolkit metrics). */
export interface ClassificationMetrics {
  n: number;
  accuracy: number;
  macroF1: number;
  /** Binary tasks: ROC AUC of the positive-class score and F1 of the positive class. */
  auc?: number;
  f1?: number;
}
export interface RegressionMetrics {
  n: number;
  r2: number;
  rmse: number;
  mae: number;
}

export interface Predictions {
  /** Classification: scores n x classes; regression: predictions. */
  scores?: Float64Array[];
  predicted: number[];
  truth: number[];
}

export function predictRecords(task: CourseTask, c: FittedCandidate, records: readonly EnrichedCourse[]): Predictions {
  const X = designMatrix(c, records);
  const truth = Array.from(task.target(records, c.target));
  if (task.kind === 'regression') return { predicted: Array.from(c.model.predict(X)), truth };
  const scores = c.model.scores(X);
  return { scores, predicted: scores.map(argmax), truth };
}

export function metricsOf(task: CourseTask, p: Predictions): ClassificationMetrics | RegressionMetrics {
  const n = p.truth.length;
  if (task.kind === 'regression') {
    return { n, r2: r2Score(p.truth, p.predicted), rmse: rootMeanSquaredError(p.truth, p.predicted), mae: meanAbsoluteError(p.truth, p.predicted) };
  }
  const m: ClassificationMetrics = { n, accuracy: accuracy(p.truth, p.predicted), macroF1: macroF1(p.truth, p.predicted) };
  if (p.scores && p.scores[0].length === 2) {
    m.auc = rocAucBinary(p.truth, p.scores.map((s) => s[1]), 1);
    const rep = classificationReport(p.truth, p.predicted);
    m.f1 = rep.perClass.find((c) => c.label === 1)?.f1 ?? 0;
  }
  return m;
}

export function selectionScore(task: CourseTask, m: ClassificationMetrics | RegressionMetrics): number {
  if (task.selectionMetric === 'r2') return (m as RegressionMetrics).r2;
  if (task.selectionMetric === 'auc') return (m as ClassificationMetrics).auc!;
  return (m as ClassificationMetrics).accuracy;
}

export function argmax(v: ArrayLike<number>): number {
  let b = 0;
  for (let i = 1; i < v.length; i++) if (v[i] > v[b]) b = i;
  return b;
}
