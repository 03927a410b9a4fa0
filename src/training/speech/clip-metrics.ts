import { classificationReport } from '../../analysis/classification.js';
import { confusionMatrix } from '../../analysis/confusion.js';
import { rocAucBinary } from '../../analysis/curves.js';

/** The evaluation JSON of a speech classifier (clip level). */
export interface SpeechEvaluation {
  n: number;
  labels: string[];
  accuracy: number;
  macroF1: number;
  weightedF1: number;
  perClass: Record<string, { precision: number; recall: number; f1: number; support: number; rocAuc: number | null }>;
  /** confusion[i][j] = clips of true labels[i] predicted labels[j]. */
  confusion: number[][];
  /** Macro mean of the per-class one-vs-rest ROC AUCs that are defined. */
  macroRocAuc: number | null;
}

/** Mean of window probability vectors (a clip's prediction). Empty input -> null. */
export function meanProbabilities(windows: readonly Float32Array[]): Float32Array | null {
  if (windows.length === 0) return null;
  const out = new Float32Array(windows[0].length);
  for (const w of windows) for (let i = 0; i < out.length; i++) out[i] += w[i] / windows.length;
  return out;
}

export function argmax(p: ArrayLike<number>): number {
  let b = 0;
  for (let i = 1; i < p.length; i++) if (p[i] > p[b]) b = i;
  return b;
}

/** Metrics from the analysis toolkit over clip-level probabilities (columns in `labels` order). */
export function evaluateClips(labels: readonly string[], yTrue: readonly string[], probs: readonly ArrayLike<number>[]): SpeechEvaluation {
  if (yTrue.length !== probs.length) throw new Error(`evaluateClips: ${yTrue.length} labels but ${probs.length} predictions`);
  if (yTrue.length === 0) throw new Error('evaluateClips: no clips to evaluate');
  const yPred = probs.map((p) => labels[argmax(p)]);
  const rep = classificationReport(yTrue, yPred, [...labels]);
  const cm = confusionMatrix(yTrue, yPred, [...labels]);
  const perClass: SpeechEvaluation['perClass'] = {};
  const aucs: number[] = [];
  labels.forEach((label, c) => {
    const pc = rep.perClass.find((r) => r.label === label)!;
    const truth = yTrue.map((y) => (y === label ? 1 : 0));
    const present = truth.some((t) => t === 1) && truth.some((t) => t === 0);
    const auc = present ? rocAucBinary(truth, probs.map((p) => p[c]), 1) : null;
    if (auc !== null) aucs.push(auc);
    perClass[label] = { precision: pc.precision, recall: pc.recall, f1: pc.f1, support: pc.support, rocAuc: auc };
  });
  return {
    n: yTrue.length,
    labels: [...labels],
    accuracy: rep.accuracy,
    macroF1: rep.macro.f1,
    weightedF1: rep.weighted.f1,
    perClass,
    confusion: cm.counts,
    macroRocAuc: aucs.length ? aucs.reduce((a, b) => a + b, 0) / aucs.length : null,
  };
}
