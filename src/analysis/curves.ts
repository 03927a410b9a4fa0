/**
 * Score-based metrics with exactly scikit-learn's semantics: roc_curve (ties, drop_intermediate,
 * first threshold +Infinity), roc_auc_score (binary and one-vs-rest micro / macro / weighted),
 * precision_recall_curve and average_precision_score.
 * Hand-written: no maintained npm package reproduces scikit-learn's tie handling and drop_intermediate.
 */
import { checkFinite, checkLabels, checkSameLength, labelIndex, uniqueLabels, type Label } from './labels.js';

/** ROC curve points; thresholds[0] is +Infinity (no sample predicted positive). */
export interface RocCurve {
  fpr: number[];
  tpr: number[];
  thresholds: number[];
}

/** Precision-recall curve, in scikit-learn order (recall decreasing, last point precision 1 / recall 0). */
export interface PrCurve {
  precision: number[];
  recall: number[];
  /** Increasing thresholds; one shorter than precision/recall. */
  thresholds: number[];
}

/** How to average one-vs-rest scores over classes. */
export type CurveAverage = 'macro' | 'micro' | 'weighted';

/** Binary truth: labels compared with `positiveLabel` (default: the greater of the two labels, or 1). */
function binarize(yTrue: readonly Label[], positiveLabel: Label | undefined): number[] {
  checkLabels(yTrue, 'yTrue');
  let pos = positiveLabel;
  if (pos === undefined) {
    const classes = uniqueLabels(yTrue);
    if (classes.length > 2) {
      throw new Error(`yTrue has ${classes.length} classes; binary curves need positiveLabel or one-vs-rest helpers`);
    }
    const isZeroOne = classes.every((c) => c === 0 || c === 1 || c === -1);
    if (!isZeroOne && classes.length === 2) {
      throw new Error(`yTrue labels ${JSON.stringify(classes)} are not {0,1} or {-1,1}; pass positiveLabel`);
    }
    pos = 1;
  }
  return yTrue.map((v) => (v === pos ? 1 : 0));
}

/** scikit-learn's _binary_clf_curve: cumulative false/true positives at each distinct score, highest first. */
function binaryClfCurve(truth: number[], scores: readonly number[]): { fps: number[]; tps: number[]; thresholds: number[] } {
  checkFinite(scores, 'scores');
  checkSameLength(truth, scores, 'yTrue', 'scores');
  const order = scores.map((_, i) => i).sort((a, b) => scores[b] - scores[a]);
  const fps: number[] = [];
  const tps: number[] = [];
  const thresholds: number[] = [];
  let tp = 0;
  for (let k = 0; k < order.length; k++) {
    tp += truth[order[k]];
    const isLastOfValue = k === order.length - 1 || scores[order[k + 1]] !== scores[order[k]];
    if (isLastOfValue) {
      tps.push(tp);
      fps.push(k + 1 - tp);
      thresholds.push(scores[order[k]]);
    }
  }
  return { fps, tps, thresholds };
}

/**
 * ROC curve for a binary problem (scikit-learn roc_curve). With `dropIntermediate` (default true)
 * collinear points are removed. If yTrue has no negatives (or no positives), fpr (or tpr) is all NaN
 * as in scikit-learn, which warns in that case.
 */
export function rocCurve(
  yTrue: readonly Label[],
  scores: readonly number[],
  options: { positiveLabel?: Label; dropIntermediate?: boolean } = {},
): RocCurve {
  const truth = binarize(yTrue, options.positiveLabel);
  let { fps, tps, thresholds } = binaryClfCurve(truth, scores);
  if ((options.dropIntermediate ?? true) && fps.length > 2) {
    const keep: number[] = [0];
    for (let i = 1; i < fps.length - 1; i++) {
      const d2f = fps[i + 1] - 2 * fps[i] + fps[i - 1];
      const d2t = tps[i + 1] - 2 * tps[i] + tps[i - 1];
      if (d2f !== 0 || d2t !== 0) keep.push(i);
    }
    keep.push(fps.length - 1);
    fps = keep.map((i) => fps[i]);
    tps = keep.map((i) => tps[i]);
    thresholds = keep.map((i) => thresholds[i]);
  }
  fps = [0, ...fps];
  tps = [0, ...tps];
  thresholds = [Number.POSITIVE_INFINITY, ...thresholds];
  const fTotal = fps[fps.length - 1];
  const tTotal = tps[tps.length - 1];
  return {
    fpr: fps.map((f) => (fTotal <= 0 ? Number.NaN : f / fTotal)),
    tpr: tps.map((t) => (tTotal <= 0 ? Number.NaN : t / tTotal)),
    thresholds,
  };
}

/** Area under a curve by the trapezoidal rule (scikit-learn auc; x must be monotonic). */
export function trapezoidArea(x: readonly number[], y: readonly number[]): number {
  checkSameLength(x, y, 'x', 'y');
  if (x.length < 2) throw new Error(`at least 2 points are needed to compute area under curve, got ${x.length}`);
  let direction = 1;
  let increasing = true;
  let decreasing = true;
  for (let i = 1; i < x.length; i++) {
    if (x[i] < x[i - 1]) increasing = false;
    if (x[i] > x[i - 1]) decreasing = false;
  }
  if (!increasing) {
    if (decreasing) direction = -1;
    else throw new Error('x is neither increasing nor decreasing');
  }
  let area = 0;
  for (let i = 1; i < x.length; i++) area += ((x[i] - x[i - 1]) * (y[i] + y[i - 1])) / 2;
  return direction * area;
}

/** Binary ROC AUC; throws when yTrue holds a single class (undefined, as in scikit-learn). */
export function rocAucBinary(yTrue: readonly Label[], scores: readonly number[], positiveLabel?: Label): number {
  const truth = binarize(yTrue, positiveLabel);
  const positives = truth.reduce((a, b) => a + b, 0);
  if (positives === 0 || positives === truth.length) {
    throw new Error('Only one class present in yTrue. ROC AUC score is not defined in that case.');
  }
  const roc = rocCurve(truth, scores, { positiveLabel: 1 });
  return trapezoidArea(roc.fpr, roc.tpr);
}

/** Validated one-vs-rest problem: one-hot truth per class and the score column per class. */
interface OvrProblem {
  labels: Label[];
  truth: number[][]; // [class][sample]
  scores: number[][]; // [class][sample]
}

function ovrProblem(yTrue: readonly Label[], scores: readonly (readonly number[])[], labels?: readonly Label[]): OvrProblem {
  checkLabels(yTrue, 'yTrue');
  checkSameLength(yTrue, scores, 'yTrue', 'scores');
  const used = labels ? [...labels] : uniqueLabels(yTrue);
  const index = labelIndex(used);
  const truth = used.map(() => new Array<number>(yTrue.length).fill(0));
  const cols = used.map(() => new Array<number>(yTrue.length).fill(0));
  scores.forEach((row, i) => {
    if (row.length !== used.length) {
      throw new Error(
        `scores[${i}] has ${row.length} columns but there are ${used.length} classes (${JSON.stringify(used)}); pass labels matching the score columns`,
      );
    }
    checkFinite(row, `scores[${i}]`);
    const c = index.get(yTrue[i]);
    if (c === undefined) throw new Error(`yTrue[${i}] = ${JSON.stringify(yTrue[i])} is not among labels ${JSON.stringify(used)}`);
    truth[c][i] = 1;
    row.forEach((v, j) => (cols[j][i] = v));
  });
  return { labels: used, truth, scores: cols };
}

function averageOverClasses(
  p: OvrProblem,
  average: CurveAverage,
  binaryMetric: (truth: number[], scores: number[]) => number,
): number {
  if (average === 'micro') return binaryMetric(p.truth.flat(), p.scores.flat());
  const perClass = p.labels.map((_, c) => binaryMetric(p.truth[c], p.scores[c]));
  if (average === 'macro') return perClass.reduce((a, b) => a + b, 0) / perClass.length;
  const support = p.truth.map((t) => t.reduce((a, b) => a + b, 0));
  const total = support.reduce((a, b) => a + b, 0);
  if (total === 0) return 0;
  return perClass.reduce((a, v, c) => a + v * support[c], 0) / total;
}

/**
 * One-vs-rest multiclass ROC AUC (scikit-learn roc_auc_score(multi_class='ovr')).
 * `scores` is n×k with columns in `labels` order (default: sorted unique yTrue); rows must sum to 1
 * (sklearn requires probabilities). Every class must occur in yTrue, else AUC is undefined and this throws.
 */
export function rocAucOvr(
  yTrue: readonly Label[],
  scores: readonly (readonly number[])[],
  options: { average?: CurveAverage; labels?: readonly Label[] } = {},
): number {
  const p = ovrProblem(yTrue, scores, options.labels);
  if (p.labels.length < 3) throw new Error('rocAucOvr needs at least 3 classes; use rocAucBinary for two');
  scores.forEach((row, i) => {
    const s = row.reduce((a, b) => a + b, 0);
    if (Math.abs(s - 1) > 1e-5) throw new Error(`scores[${i}] sums to ${s}; one-vs-rest ROC AUC needs probabilities that sum to 1`);
  });
  return averageOverClasses(p, options.average ?? 'macro', (t, s) => rocAucBinary(t, s, 1));
}

/** Per-class one-vs-rest ROC curves plus the micro-average curve and the macro-average curve. */
export interface OvrRocCurves {
  labels: Label[];
  perClass: Array<RocCurve & { label: Label; auc: number }>;
  /** ROC of all one-hot cells pooled (scikit-learn example "micro-average"). */
  micro: RocCurve & { auc: number };
  /**
   * Mean of per-class TPRs interpolated (numpy.interp) on the union of all per-class FPRs, and the
   * trapezoid area under it (scikit-learn example "macro-average"; this area differs slightly from
   * rocAucOvr's macro, which averages per-class areas).
   */
  macro: { fpr: number[]; tpr: number[]; auc: number };
}

/** numpy.interp for increasing xp (with repeated xp values the last one wins, as in numpy). */
export function interpolateLinear(x: number, xp: readonly number[], fp: readonly number[]): number {
  const n = xp.length;
  if (x < xp[0]) return fp[0];
  if (x >= xp[n - 1]) return fp[n - 1];
  let lo = 0;
  let hi = n - 1; // invariant: xp[lo] <= x < xp[hi]
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (xp[mid] <= x) lo = mid;
    else hi = mid;
  }
  if (xp[lo] === x) return fp[lo];
  const slope = (fp[hi] - fp[lo]) / (xp[hi] - xp[lo]);
  return slope * (x - xp[lo]) + fp[lo];
}

/** One-vs-rest ROC curves for a multiclass problem (`scores` n×k, columns in `labels` order). */
export function rocCurvesOvr(
  yTrue: readonly Label[],
  scores: readonly (readonly number[])[],
  labels?: readonly Label[],
): OvrRocCurves {
  const p = ovrProblem(yTrue, scores, labels);
  const perClass = p.labels.map((label, c) => {
    const roc = rocCurve(p.truth[c], p.scores[c], { positiveLabel: 1 });
    return { label, ...roc, auc: rocAucBinary(p.truth[c], p.scores[c], 1) };
  });
  const microRoc = rocCurve(p.truth.flat(), p.scores.flat(), { positiveLabel: 1 });
  const micro = { ...microRoc, auc: trapezoidArea(microRoc.fpr, microRoc.tpr) };
  const grid = [...new Set(perClass.flatMap((r) => r.fpr))].sort((a, b) => a - b);
  const meanTpr = grid.map((x) => perClass.reduce((a, r) => a + interpolateLinear(x, r.fpr, r.tpr), 0) / perClass.length);
  return { labels: p.labels, perClass, micro, macro: { fpr: grid, tpr: meanTpr, auc: trapezoidArea(grid, meanTpr) } };
}

/**
 * Precision-recall curve (scikit-learn precision_recall_curve, drop_intermediate=False).
 * Precision of an empty prediction set is 0; with no positives in yTrue recall is 1 everywhere (sklearn warns).
 */
export function precisionRecallCurve(yTrue: readonly Label[], scores: readonly number[], options: { positiveLabel?: Label } = {}): PrCurve {
  const truth = binarize(yTrue, options.positiveLabel);
  const { fps, tps, thresholds } = binaryClfCurve(truth, scores);
  const totalTp = tps[tps.length - 1];
  const precision = tps.map((t, i) => (t + fps[i] === 0 ? 0 : t / (t + fps[i])));
  const recall = tps.map((t) => (totalTp === 0 ? 1 : t / totalTp));
  return {
    precision: [...precision.reverse(), 1],
    recall: [...recall.reverse(), 0],
    thresholds: [...thresholds].reverse(),
  };
}

/** Average precision: sum over thresholds of (R_n - R_{n-1}) P_n (scikit-learn average_precision_score, binary). */
export function averagePrecision(yTrue: readonly Label[], scores: readonly number[], positiveLabel?: Label): number {
  const { precision, recall } = precisionRecallCurve(yTrue, scores, { positiveLabel });
  let ap = 0;
  for (let i = 0; i < recall.length - 1; i++) ap -= (recall[i + 1] - recall[i]) * precision[i];
  return ap;
}

/** One-vs-rest average precision over k classes (scikit-learn average_precision_score with a multiclass yTrue). */
export function averagePrecisionOvr(
  yTrue: readonly Label[],
  scores: readonly (readonly number[])[],
  options: { average?: CurveAverage; labels?: readonly Label[] } = {},
): number {
  const p = ovrProblem(yTrue, scores, options.labels);
  return averageOverClasses(p, options.average ?? 'macro', (t, s) => averagePrecision(t, s, 1));
}

/** One-vs-rest precision-recall curves per class plus the micro-average curve. */
export function precisionRecallCurvesOvr(
  yTrue: readonly Label[],
  scores: readonly (readonly number[])[],
  labels?: readonly Label[],
): { labels: Label[]; perClass: Array<PrCurve & { label: Label; averagePrecision: number }>; micro: PrCurve & { averagePrecision: number } } {
  const p = ovrProblem(yTrue, scores, labels);
  const perClass = p.labels.map((label, c) => ({
    label,
    ...precisionRecallCurve(p.truth[c], p.scores[c], { positiveLabel: 1 }),
    averagePrecision: averagePrecision(p.truth[c], p.scores[c], 1),
  }));
  const t = p.truth.flat();
  const s = p.scores.flat();
  return { labels: p.labels, perClass, micro: { ...precisionRecallCurve(t, s, { positiveLabel: 1 }), averagePrecision: averagePrecision(t, s, 1) } };
}
