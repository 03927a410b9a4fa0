/**
 * Label-based classification metrics with scikit-learn semantics:
 * accuracy, precision / recall / F1 with averages, balanced accuracy, Cohen's kappa, log loss.
 *
 * Undefined ratios (e.g. precision of a class that is never predicted) follow scikit-learn's
 * `zero_division` rule: they are set to `zeroDivision` (default 0, like sklearn's "warn") and a
 * message is added to the result's `warnings` list instead of being printed.
 * Hand-written: no maintained npm package reproduces scikit-learn's zero_division and averaging rules.
 */
import { confusionMatrix } from './confusion.js';
import { checkLabels, checkSameLength, compareLabels, labelIndex, uniqueLabels, type Label } from './labels.js';

/** Precision, recall, F1 and support of one class or one average. */
export interface PrfScores {
  precision: number;
  recall: number;
  f1: number;
  /** Number of true samples the scores cover. */
  support: number;
}

/** Result of {@link classificationReport}. */
export interface ClassificationReport {
  labels: Label[];
  /** Per-class scores, in `labels` order. */
  perClass: Array<PrfScores & { label: Label }>;
  /** Fraction of all samples predicted correctly (over every sample, like accuracy_score). */
  accuracy: number;
  /** Micro average over `labels` (equals accuracy when labels cover every class). */
  micro: PrfScores;
  /** Unweighted mean of per-class scores. */
  macro: PrfScores;
  /** Mean of per-class scores weighted by support. */
  weighted: PrfScores;
  /** Number of samples. */
  n: number;
  /** Notes about undefined ratios replaced by `zeroDivision`. */
  warnings: string[];
}

/** Options for {@link classificationReport}. */
export interface ClassificationReportOptions {
  /** Value used for 0/0 ratios (scikit-learn's zero_division); default 0. */
  zeroDivision?: 0 | 1;
}

/** Fraction of exact matches (scikit-learn accuracy_score). */
export function accuracy(yTrue: readonly Label[], yPred: readonly Label[]): number {
  checkLabels(yTrue, 'yTrue');
  checkLabels(yPred, 'yPred');
  checkSameLength(yTrue, yPred, 'yTrue', 'yPred');
  let correct = 0;
  for (let i = 0; i < yTrue.length; i++) if (yTrue[i] === yPred[i]) correct++;
  return correct / yTrue.length;
}

function ratio(num: number, den: number, zeroDivision: number, onZero: () => void): number {
  if (den === 0) {
    onZero();
    return zeroDivision;
  }
  return num / den;
}

/**
 * Per-class precision, recall, F1 and support plus micro / macro / weighted averages
 * (scikit-learn precision_recall_fscore_support + classification_report).
 * `labels` defaults to the sorted union of yTrue and yPred; a label that never occurs gets support 0.
 */
export function classificationReport(
  yTrue: readonly Label[],
  yPred: readonly Label[],
  labels?: readonly Label[],
  options: ClassificationReportOptions = {},
): ClassificationReport {
  checkLabels(yTrue, 'yTrue');
  checkLabels(yPred, 'yPred');
  checkSameLength(yTrue, yPred, 'yTrue', 'yPred');
  const zd = options.zeroDivision ?? 0;
  const used = labels ? [...labels] : uniqueLabels(yTrue, yPred);
  const index = labelIndex(used);
  const tp = new Array<number>(used.length).fill(0);
  const predSum = new Array<number>(used.length).fill(0);
  const trueSum = new Array<number>(used.length).fill(0);
  for (let k = 0; k < yTrue.length; k++) {
    const i = index.get(yTrue[k]);
    const j = index.get(yPred[k]);
    if (i !== undefined) trueSum[i]++;
    if (j !== undefined) predSum[j]++;
    if (i !== undefined && i === j) tp[i]++;
  }
  const warnings: string[] = [];
  const ill = new Set<string>();
  const note = (what: string, label: Label) => () => {
    const key = `${what}:${String(label)}`;
    if (!ill.has(key)) {
      ill.add(key);
      warnings.push(
        what === 'precision'
          ? `precision is ill-defined for label ${JSON.stringify(label)} (no predicted samples); set to ${zd}`
          : what === 'recall'
            ? `recall is ill-defined for label ${JSON.stringify(label)} (no true samples); set to ${zd}`
            : `F1 is ill-defined for label ${JSON.stringify(label)} (no true nor predicted samples); set to ${zd}`,
      );
    }
  };
  const perClass = used.map((label, c) => ({
    label,
    precision: ratio(tp[c], predSum[c], zd, note('precision', label)),
    recall: ratio(tp[c], trueSum[c], zd, note('recall', label)),
    f1: ratio(2 * tp[c], trueSum[c] + predSum[c], zd, note('f1', label)),
    support: trueSum[c],
  }));
  const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
  const tpAll = sum(tp);
  const predAll = sum(predSum);
  const trueAll = sum(trueSum);
  const micro: PrfScores = {
    precision: ratio(tpAll, predAll, zd, note('precision', 'micro avg')),
    recall: ratio(tpAll, trueAll, zd, note('recall', 'micro avg')),
    f1: ratio(2 * tpAll, trueAll + predAll, zd, note('f1', 'micro avg')),
    support: trueAll,
  };
  const mean = (key: 'precision' | 'recall' | 'f1') => sum(perClass.map((p) => p[key])) / perClass.length;
  const macro: PrfScores = { precision: mean('precision'), recall: mean('recall'), f1: mean('f1'), support: trueAll };
  const wmean = (key: 'precision' | 'recall' | 'f1') =>
    trueAll === 0 ? zd : sum(perClass.map((p) => p[key] * p.support)) / trueAll;
  const weighted: PrfScores = { precision: wmean('precision'), recall: wmean('recall'), f1: wmean('f1'), support: trueAll };
  return { labels: used, perClass, accuracy: accuracy(yTrue, yPred), micro, macro, weighted, n: yTrue.length, warnings };
}

/** Macro-averaged F1 over the sorted union of labels (or `labels`). */
export function macroF1(yTrue: readonly Label[], yPred: readonly Label[], labels?: readonly Label[]): number {
  return classificationReport(yTrue, yPred, labels).macro.f1;
}

/**
 * Balanced accuracy: mean recall over classes present in yTrue (scikit-learn balanced_accuracy_score;
 * classes that only appear in yPred are skipped, as sklearn does with a warning).
 * With `adjusted`, rescaled so chance is 0 and perfect is 1.
 */
export function balancedAccuracy(yTrue: readonly Label[], yPred: readonly Label[], adjusted = false): number {
  const cm = confusionMatrix(yTrue, yPred);
  const recalls: number[] = [];
  cm.counts.forEach((row, i) => {
    const s = row.reduce((a, b) => a + b, 0);
    if (s > 0) recalls.push(row[i] / s);
  });
  let score = recalls.reduce((a, b) => a + b, 0) / recalls.length;
  if (adjusted) {
    const chance = 1 / recalls.length;
    score = (score - chance) / (1 - chance);
  }
  return score;
}

/**
 * Cohen's kappa between two label arrays (scikit-learn cohen_kappa_score), optionally with linear or
 * quadratic weights. Returns NaN when the expected disagreement is zero (e.g. both raters use a single
 * identical label), which is sklearn's default `replace_undefined_by=np.nan`.
 */
export function cohenKappa(
  y1: readonly Label[],
  y2: readonly Label[],
  options: { labels?: readonly Label[]; weights?: 'linear' | 'quadratic' } = {},
): number {
  const cm = confusionMatrix(y1, y2, options.labels);
  const k = cm.labels.length;
  const rowSums = cm.counts.map((r) => r.reduce((a, b) => a + b, 0));
  const colSums = cm.labels.map((_, j) => cm.counts.reduce((a, r) => a + r[j], 0));
  const total = rowSums.reduce((a, b) => a + b, 0);
  let observed = 0;
  let expected = 0;
  for (let i = 0; i < k; i++) {
    for (let j = 0; j < k; j++) {
      const w = options.weights === 'linear' ? Math.abs(i - j) : options.weights === 'quadratic' ? (i - j) ** 2 : i === j ? 0 : 1;
      observed += w * cm.counts[i][j];
      expected += (w * rowSums[i] * colSums[j]) / total;
    }
  }
  if (expected === 0) return Number.NaN;
  return 1 - observed / expected;
}

/**
 * Cross-entropy loss (scikit-learn log_loss, natural log, mean over samples).
 * `probabilities` is either n×k (columns in `labels` order, default sorted unique yTrue) or, for
 * binary problems, a length-n array with the probability of the greater label.
 * Probabilities are clipped to [eps, 1-eps] with eps = 2^-52 as sklearn does; values outside [0, 1]
 * or rows far from summing to 1 throw.
 */
export function logLoss(
  yTrue: readonly Label[],
  probabilities: readonly number[] | readonly (readonly number[])[],
  labels?: readonly Label[],
): number {
  checkLabels(yTrue, 'yTrue');
  checkSameLength(yTrue, probabilities, 'yTrue', 'probabilities');
  const used = labels ? [...labels].sort(compareLabels) : uniqueLabels(yTrue);
  if (used.length < 2) {
    throw new Error(`logLoss needs at least two classes; yTrue contains only ${JSON.stringify(used)}. Pass labels explicitly.`);
  }
  const index = labelIndex(used);
  const rows: number[][] = probabilities.map((p, i) => {
    if (typeof p === 'number') {
      if (used.length !== 2) throw new Error('1-D probabilities are only valid for binary problems');
      return [1 - p, p];
    }
    if (!Array.isArray(p)) throw new Error(`probabilities[${i}] is neither a number nor an array`);
    return [...(p as number[])];
  });
  const eps = Number.EPSILON;
  let total = 0;
  rows.forEach((row, i) => {
    if (row.length !== used.length) {
      throw new Error(`probabilities[${i}] has ${row.length} columns but there are ${used.length} classes (${JSON.stringify(used)})`);
    }
    let rowSum = 0;
    for (const v of row) {
      if (!Number.isFinite(v)) throw new Error(`probabilities[${i}] contains ${v}`);
      if (v < 0 || v > 1) throw new Error(`probabilities[${i}] contains ${v}, outside [0, 1]`);
      rowSum += v;
    }
    if (Math.abs(rowSum - 1) > 1e-3) throw new Error(`probabilities[${i}] sums to ${rowSum}, not 1`);
    const c = index.get(yTrue[i]);
    if (c === undefined) throw new Error(`yTrue[${i}] = ${JSON.stringify(yTrue[i])} is not among labels ${JSON.stringify(used)}`);
    const p = Math.min(Math.max(row[c], eps), 1 - eps);
    total -= Math.log(p);
  });
  return total / rows.length;
}
