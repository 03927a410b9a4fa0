/** Confusion matrix (scikit-learn's confusion_matrix semantics). */
import { checkLabels, checkSameLength, labelIndex, uniqueLabels, type Label } from './labels.js';

/** How to normalise a confusion matrix: by true row, predicted column, or the grand total. */
export type ConfusionNormalization = 'true' | 'pred' | 'all';

/** Confusion matrix: rows are true labels, columns predicted labels, both in `labels` order. */
export interface ConfusionMatrix {
  labels: Label[];
  /** counts[i][j] = number of samples with true label i predicted as j. */
  counts: number[][];
}

/**
 * Count matrix over `labels` (default: sorted union of both arrays).
 * Samples whose true or predicted label is not in `labels` are ignored, as in scikit-learn.
 */
export function confusionMatrix(yTrue: readonly Label[], yPred: readonly Label[], labels?: readonly Label[]): ConfusionMatrix {
  checkLabels(yTrue, 'yTrue');
  checkLabels(yPred, 'yPred');
  checkSameLength(yTrue, yPred, 'yTrue', 'yPred');
  const used = labels ? [...labels] : uniqueLabels(yTrue, yPred);
  if (used.length === 0) throw new Error('labels is empty');
  const index = labelIndex(used);
  if (labels && !yTrue.some((v) => index.has(v))) throw new Error('At least one label in labels must be present in yTrue');
  const counts = used.map(() => new Array<number>(used.length).fill(0));
  for (let k = 0; k < yTrue.length; k++) {
    const i = index.get(yTrue[k]);
    const j = index.get(yPred[k]);
    if (i !== undefined && j !== undefined) counts[i][j] += 1;
  }
  return { labels: used, counts };
}

/**
 * Normalised confusion matrix: 'true' divides each row by its sum, 'pred' each column, 'all' by the total.
 * Rows/columns that sum to zero become 0 (scikit-learn applies nan_to_num).
 */
export function normalizeConfusionMatrix(cm: ConfusionMatrix, by: ConfusionNormalization): number[][] {
  const n = cm.counts.length;
  const rowSums = cm.counts.map((r) => r.reduce((a, b) => a + b, 0));
  const colSums = cm.labels.map((_, j) => cm.counts.reduce((a, r) => a + r[j], 0));
  const total = rowSums.reduce((a, b) => a + b, 0);
  const out: number[][] = [];
  for (let i = 0; i < n; i++) {
    const row: number[] = [];
    for (let j = 0; j < n; j++) {
      const d = by === 'true' ? rowSums[i] : by === 'pred' ? colSums[j] : total;
      row.push(d === 0 ? 0 : cm.counts[i][j] / d);
    }
    out.push(row);
  }
  return out;
}
