import { r2Score } from '../../analysis/regression.js';

/**
 * Blending (stacking with a fixed convex combiner) of the subscriber regressors: the prediction
 * is w * gradient boosting + (1 - w) * ridge. The trees use the numeric attributes and a few
 * hundred frequent title terms; ridge weighs every TF-IDF column linearly, which trees do poorly,
 * so their errors are partly independent. The weight w is chosen on out-of-fold predictions of
 * the training part (each member refitted per fold with its own cross-validated settings), never
 * on the test part. SHAP values are linear in the model, so the blend's explanation is the same
 * blend of the members' exact SHAP values (course-model.ts).
 */
export type { BlendJson } from '../../inference/course/course-model.js';

export interface BlendWeightChoice {
  /** Weight of the first prediction set (the second gets 1 - weight). */
  weight: number;
  /** Mean and std over the folds of the R² of the blended out-of-fold predictions. */
  cvScore: number;
  cvStd: number;
  /** Mean fold R² for every weight tried, in order. */
  curve: { weight: number; cvScore: number }[];
}

/**
 * Picks w in {0, 1/steps, ..., 1} maximising the mean R² over the folds of w * a + (1 - w) * b,
 * where a and b are out-of-fold predictions (a[i] predicted by a model that did not see row i)
 * and `folds` lists each fold's rows. Ties keep the smaller weight.
 */
export function chooseBlendWeight(a: ArrayLike<number>, b: ArrayLike<number>, y: ArrayLike<number>, folds: readonly (readonly number[])[], steps = 20): BlendWeightChoice {
  if (a.length !== y.length || b.length !== y.length) throw new Error(`blend: ${a.length} and ${b.length} predictions for ${y.length} targets`);
  if (folds.length === 0) throw new Error('blend: no folds');
  const foldScores = (w: number) => folds.map((rows) => r2Score(rows.map((i) => y[i]), rows.map((i) => w * a[i] + (1 - w) * b[i])));
  const curve: BlendWeightChoice['curve'] = [];
  let best = { weight: 0, scores: foldScores(0), mean: -Infinity };
  for (let k = 0; k <= steps; k++) {
    const weight = k / steps;
    const scores = foldScores(weight);
    const mean = scores.reduce((s, v) => s + v, 0) / scores.length;
    curve.push({ weight, cvScore: mean });
    if (mean > best.mean) best = { weight, scores, mean };
  }
  const std = Math.sqrt(best.scores.reduce((s, v) => s + (v - best.mean) ** 2, 0) / Math.max(1, best.scores.length - 1));
  return { weight: best.weight, cvScore: best.mean, cvStd: std, curve };
}
