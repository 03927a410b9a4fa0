import { KnnClassifier, type KnnJson } from './knn.js';
import { LinearModel, type LinearModelJson } from './linear-model.js';
import { NaiveBayes, type NaiveBayesJson } from './naive-bayes.js';
import { type ForestJson, TreeEnsemble } from './random-forest.js';
import type { CsrMatrix } from './sparse-matrix.js';

/** Any course model, as stored in model.json. */
export type CourseModelJson = LinearModelJson | ForestJson | NaiveBayesJson | KnnJson;

export type ExplanationMethod = 'linear-shap' | 'tree-shap' | 'naive-bayes-log-likelihood' | 'none';

/** The common face of the course models: scores, predictions, per-row explanations. */
export interface CourseModel {
  readonly algorithm: string;
  readonly explanationMethod: ExplanationMethod;
  /** Classification: n x classes scores (probabilities where the model has them). */
  scores(X: CsrMatrix): Float64Array[];
  /** Regression: n predictions. */
  predict(X: CsrMatrix): Float64Array;
  /**
   * The `top` largest (by magnitude) additive contributions of the columns of row r to output
   * `output`, as [column, contribution] pairs, largest first; null when the model has none.
   */
  explain(X: CsrMatrix, r: number, output: number, means: ArrayLike<number>, top: number): [number, number][] | null;
  toJSON(): CourseModelJson;
}

export function courseModelFromJson(j: CourseModelJson): CourseModel {
  switch (j.type) {
    case 'linear': {
      const m = LinearModel.fromJSON(j);
      return {
        algorithm: j.algorithm,
        explanationMethod: 'linear-shap',
        scores: (X) => m.predictScores(X),
        predict: (X) => m.predict(X),
        explain: (X, r, output, means, top) => topByMagnitude(m.shap(X, r, means, output), top),
        toJSON: () => m.toJSON(),
      };
    }
    case 'forest': {
      const m = TreeEnsemble.fromJSON(j);
      return {
        algorithm: j.algorithm,
        explanationMethod: 'tree-shap',
        scores: (X) => m.predictScores(X),
        predict: (X) => m.predict(X),
        explain: (X, r, output, _means, top) => topByMagnitude(m.shap(X, r, output).phi, top),
        toJSON: () => m.toJSON(),
      };
    }
    case 'naive-bayes': {
      const m = NaiveBayes.fromJSON(j);
      return {
        algorithm: 'naive-bayes',
        explanationMethod: 'naive-bayes-log-likelihood',
        scores: (X) => m.predictScores(X),
        predict: () => {
          throw new Error('naive Bayes is a classifier');
        },
        explain: (X, r, output, _means, top) => {
          // each term's log-likelihood for `output` minus its mean over the classes
          const out = new Map<number, number>();
          for (const [c, v] of m.terms(X, r)) out.set(c, v[output] - v.reduce((a, b) => a + b, 0) / v.length);
          return topByMagnitude(out, top);
        },
        toJSON: () => m.toJSON(),
      };
    }
    case 'knn': {
      const m = KnnClassifier.fromJSON(j);
      return {
        algorithm: 'knn',
        explanationMethod: 'none',
        scores: (X) => m.predictScores(X),
        predict: () => {
          throw new Error('KNN is a classifier');
        },
        explain: () => null,
        toJSON: () => m.toJSON(),
      };
    }
  }
}

/** Wraps a freshly trained model object the same way as a loaded one. */
export function wrapTrained(model: { toJSON(): CourseModelJson }): CourseModel {
  return courseModelFromJson(model.toJSON());
}

/** The `k` entries of largest magnitude (non-zero, finite), largest first. */
export function topByMagnitude(values: Float64Array | Map<number, number>, k: number): [number, number][] {
  const best: [number, number][] = [];
  const consider = (c: number, v: number) => {
    if (v === 0 || !Number.isFinite(v)) return;
    const a = Math.abs(v);
    if (best.length === k && a <= Math.abs(best[k - 1][1])) return;
    let pos = best.length;
    while (pos > 0 && Math.abs(best[pos - 1][1]) < a) pos--;
    best.splice(pos, 0, [c, v]);
    if (best.length > k) best.pop();
  };
  if (values instanceof Map) for (const [c, v] of values) consider(c, v);
  else for (let c = 0; c < values.length; c++) consider(c, values[c]);
  return best;
}
