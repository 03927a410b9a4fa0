import { classificationReport, confusionMatrix, macroF1, rocCurvesOvr } from '../../analysis/index.js';

/** Held-out metrics of one classifier, as evalImage prints them and the manifest stores them. */
export interface ClassificationSummary {
  n: number;
  labels: string[];
  accuracy: number;
  macroF1: number;
  perClass: Record<string, { precision: number; recall: number; f1: number; support: number; rocAuc: number | null }>;
  /** Rows: true label, columns: predicted label, in `labels` order. */
  confusion: number[][];
  /** Predictions below the unknown threshold (counted wrong in accuracy), when a threshold was applied. */
  unknown?: number;
}

/**
 * Summary from true labels and probabilities (n x k, columns in `labels` order). `predicted`
 * defaults to the arg-max; pass it to count "unknown" answers (they match no true label).
 */
export function summariseClassification(labels: readonly string[], yTrue: readonly string[], probs: readonly (readonly number[])[], predicted?: readonly string[]): ClassificationSummary {
  if (yTrue.length !== probs.length) throw new Error(`summariseClassification: ${yTrue.length} labels but ${probs.length} score rows`);
  const yPred = predicted ?? probs.map((p) => labels[argMax(p)]);
  const report = classificationReport(yTrue, yPred, labels);
  const cm = confusionMatrix(yTrue, yPred, labels);
  // AUC needs probabilities that sum to 1 and every class present.
  let auc: Record<string, number>;
  try {
    const norm = probs.map((p) => {
      const s = p.reduce((a, b) => a + b, 0);
      return p.map((v) => v / s);
    });
    const curves = rocCurvesOvr(yTrue, norm, labels);
    auc = Object.fromEntries(curves.perClass.map((c) => [String(c.label), c.auc]));
  } catch {
    auc = {};
  }
  const perClass: ClassificationSummary['perClass'] = {};
  for (const c of report.perClass) {
    perClass[String(c.label)] = { precision: c.precision, recall: c.recall, f1: c.f1, support: c.support, rocAuc: auc[String(c.label)] ?? null };
  }
  const unknown = predicted ? predicted.filter((p) => !labels.includes(p)).length : undefined;
  return {
    n: yTrue.length,
    labels: [...labels],
    accuracy: report.accuracy,
    macroF1: macroF1(yTrue, yPred, labels),
    perClass,
    confusion: cm.counts.map((r) => [...r]),
    ...(unknown !== undefined ? { unknown } : {}),
  };
}

export function argMax(p: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < p.length; i++) if (p[i] > p[best]) best = i;
  return best;
}
