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
  /** Additive contributions of the columns of row r to output `output` (null when the model has none). */
  explain(X: CsrMatrix, r: number, output: number, means: ArrayLike<number>): Map<number, number> | null;
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
        explain: (X, r, output, means) => m.shap(X, r, means, output),
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
        explain: (X, r, output) => m.shap(X, r, output).phi,
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
        explain: (X, r, output) => {
          // each term's log-likelihood for `output` minus its mean over the classes
          const out = new Map<number, number>();
          for (const [c, v] of m.terms(X, r)) out.set(c, v[output] - v.reduce((a, b) => a + b, 0) / v.length);
          return out;
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
