import { AdditiveExplainer, type TopTerms } from './fast-explain.js';
import { KnnClassifier, type KnnJson } from './knn.js';
import { LinearModel, type LinearModelJson } from './linear-model.js';
import { NaiveBayes, type NaiveBayesJson } from './naive-bayes.js';
import { type ForestJson, TreeEnsemble } from './random-forest.js';
import type { CsrMatrix } from '../../features/course/sparse-matrix.js';

/** A blend (training/course/blend.ts): a fixed convex combination of regressors over the same design matrix. */
export interface BlendJson {
  type: 'blend';
  algorithm: 'blend';
  /** Members over the same design matrix; the weights sum to 1. */
  members: { weight: number; model: LinearModelJson | ForestJson }[];
}

/**
 * A binary classifier made from a regression model (stacking): P(class 1) = sigmoid(slope * f(x) +
 * intercept), f the regression model (popularity from the predicted log1p(subscribers); slope and
 * intercept fitted on out-of-fold predictions of the training part). Its margin is linear in f, so
 * its exact SHAP values are slope times f's, with base value slope * f's base + intercept.
 */
export interface ScoreLinkJson {
  type: 'score-link';
  algorithm: 'subscriber-score';
  slope: number;
  intercept: number;
  model: LinearModelJson | ForestJson | BlendJson;
}

/** Any course model, as stored in model.json. */
export type CourseModelJson = LinearModelJson | ForestJson | NaiveBayesJson | KnnJson | BlendJson | ScoreLinkJson;

/** 'blend-shap': the weighted sum of the blend members' exact SHAP values (linear SHAP, TreeSHAP). */
export type ExplanationMethod = 'linear-shap' | 'tree-shap' | 'blend-shap' | 'score-link-shap' | 'naive-bayes-log-likelihood' | 'none';

/** Exact additive SHAP values of one row and output: base + sum of phi equals the model output. */
export interface ShapValues {
  base: number;
  phi: Map<number, number>;
}

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
  /**
   * All SHAP values of row r for output `output` (regression output or margin) with their base
   * value; null for models without exact SHAP values (naive Bayes, KNN).
   */
  shap(X: CsrMatrix, r: number, output: number, means: ArrayLike<number>): ShapValues | null;
  /**
   * The compiled explainer of output `output` (exact SHAP values from precomputed tables, top
   * terms without the dense vector, fast-explain.ts); null for models without exact SHAP values.
   * Built once per (means, output, columns) and kept with the model.
   */
  explainer(cols: number, output: number, means: ArrayLike<number>): AdditiveExplainer | null;
  toJSON(): CourseModelJson;
}

type AdditiveMembers = { weight: number; model: LinearModelJson | ForestJson }[];

/** Explainers of one model, per means vector and (output, columns); tree tables are shared. */
function explainerCache(members: AdditiveMembers): (cols: number, output: number, means: ArrayLike<number>) => AdditiveExplainer {
  const byMeans = new WeakMap<object, Map<string, AdditiveExplainer>>();
  return (cols, output, means) => {
    let m = byMeans.get(means as object);
    if (!m) byMeans.set(means as object, (m = new Map()));
    const key = `${output}:${cols}`;
    let e = m.get(key);
    if (!e) m.set(key, (e = new AdditiveExplainer(members, cols, output, means)));
    return e;
  };
}

/** Top terms from the compiled explainer, or from the reference SHAP values when tables cannot be built. */
function fastTop(
  explainer: (cols: number, output: number, means: ArrayLike<number>) => AdditiveExplainer,
  reference: (X: CsrMatrix, r: number, output: number, means: ArrayLike<number>, top: number) => [number, number][],
): (X: CsrMatrix, r: number, output: number, means: ArrayLike<number>, top: number) => [number, number][] {
  let usable = true;
  return (X, r, output, means, top) => {
    if (usable) {
      try {
        return explainer(X.cols, output, means).explain(X, r, top).terms;
      } catch (e) {
        if (!/tree shap tables/.test((e as Error).message)) throw e;
        usable = false; // too deep for path tables: the recursive algorithm
      }
    }
    return reference(X, r, output, means, top);
  };
}

export type { TopTerms };

export function courseModelFromJson(j: CourseModelJson): CourseModel {
  switch (j.type) {
    case 'linear': {
      const m = LinearModel.fromJSON(j);
      const explainer = explainerCache([{ weight: 1, model: j }]);
      return {
        algorithm: j.algorithm,
        explanationMethod: 'linear-shap',
        scores: (X) => m.predictScores(X),
        predict: (X) => m.predict(X),
        explain: fastTop(explainer, (X, r, output, means, top) => topByMagnitude(m.shap(X, r, means, output), top)),
        shap: (X, r, output, means) => linearShapValues(m, X, r, output, means),
        explainer,
        toJSON: () => m.toJSON(),
      };
    }
    case 'forest': {
      const m = TreeEnsemble.fromJSON(j);
      const explainer = explainerCache([{ weight: 1, model: j }]);
      return {
        algorithm: j.algorithm,
        explanationMethod: 'tree-shap',
        scores: (X) => m.predictScores(X),
        predict: (X) => m.predict(X),
        explain: fastTop(explainer, (X, r, output, _means, top) => topByMagnitude(m.shap(X, r, output).phi, top)),
        shap: (X, r, output) => m.shap(X, r, output),
        explainer,
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
        shap: () => null,
        explainer: () => null,
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
        shap: () => null,
        explainer: () => null,
        toJSON: () => m.toJSON(),
      };
    }
    case 'blend':
      return blendModel(j);
    case 'score-link':
      return scoreLinkModel(j);
  }
}

function scoreLinkModel(j: ScoreLinkJson): CourseModel {
  if (!Number.isFinite(j.slope) || !Number.isFinite(j.intercept)) throw new Error(`score link: slope and intercept must be finite numbers, got ${j.slope}, ${j.intercept}`);
  if (!j.model || !['linear', 'forest', 'blend'].includes(j.model.type)) throw new Error('score link: the model must be a linear, tree or blended regression model');
  const inner = courseModelFromJson(j.model);
  const members: AdditiveMembers = j.model.type === 'blend' ? j.model.members.map((m) => ({ weight: m.weight, model: m.model })) : [{ weight: 1, model: j.model }];
  const byMeans = new WeakMap<object, Map<string, AdditiveExplainer>>();
  const explainer = (cols: number, output: number, means: ArrayLike<number>): AdditiveExplainer => {
    if (output !== 0 && output !== 1) throw new Error(`score link: a binary classifier has outputs 0 and 1, asked for ${output}`);
    let m = byMeans.get(means as object);
    if (!m) byMeans.set(means as object, (m = new Map()));
    const key = `${output}:${cols}`;
    let e = m.get(key);
    if (!e) {
      const sign = output === 1 ? 1 : -1;
      e = new AdditiveExplainer(members.map((x) => ({ weight: sign * j.slope * x.weight, model: x.model })), cols, 0, means, sign * j.intercept);
      m.set(key, e);
    }
    return e;
  };
  const reference = (X: CsrMatrix, r: number, output: number, means: ArrayLike<number>): ShapValues => {
    const s = inner.shap(X, r, 0, means)!;
    const sign = output === 1 ? 1 : -1;
    const phi = new Map<number, number>();
    for (const [c, v] of s.phi) phi.set(c, sign * j.slope * v);
    return { base: sign * (j.slope * s.base + j.intercept), phi };
  };
  return {
    algorithm: j.algorithm,
    explanationMethod: 'score-link-shap',
    scores: (X) => Array.from(inner.predict(X), (f) => {
      const p = 1 / (1 + Math.exp(-(j.slope * f + j.intercept)));
      return Float64Array.of(1 - p, p);
    }),
    predict: () => {
      throw new Error('a score link is a classifier');
    },
    explain: fastTop(explainer, (X, r, output, means, top) => topByMagnitude(reference(X, r, output, means).phi, top)),
    shap: (X, r, output, means) => reference(X, r, output, means),
    explainer,
    toJSON: () => ({ type: 'score-link', algorithm: j.algorithm, slope: j.slope, intercept: j.intercept, model: inner.toJSON() as ScoreLinkJson['model'] }),
  };
}

/**
 * A convex blend of regression models over the same design matrix (blend.ts): the prediction is
 * sum_k w_k f_k(x), and so are its SHAP values and base value (SHAP values are linear in the
 * model), which keeps the explanation exact and additive.
 */
function blendModel(j: BlendJson): CourseModel {
  if (!Array.isArray(j.members) || j.members.length === 0) throw new Error('blend: no members');
  const members = j.members.map((m) => {
    if (!Number.isFinite(m.weight)) throw new Error(`blend: member weight must be a finite number, got ${m.weight}`);
    const type = (m.model as CourseModelJson).type;
    if (type === 'blend') throw new Error('blend: members cannot be blends');
    if (type === 'linear') return { weight: m.weight, linear: LinearModel.fromJSON(m.model as LinearModelJson), model: courseModelFromJson(m.model) };
    if (type === 'forest') return { weight: m.weight, trees: TreeEnsemble.fromJSON(m.model as ForestJson), model: courseModelFromJson(m.model) };
    throw new Error(`blend: members must be linear or tree models (exact SHAP values), got ${type}`);
  });
  // dense accumulation: a linear member contributes to every column (-w_j mean_j when x_j = 0)
  const denseShap = (X: CsrMatrix, r: number, output: number, means: ArrayLike<number>): { base: number; phi: Float64Array } => {
    const phi = new Float64Array(X.cols);
    let base = 0;
    for (const m of members) {
      const s = m.linear ? linearShapValues(m.linear, X, r, output, means, false) : m.trees!.shap(X, r, output);
      base += m.weight * s.base;
      if (s.phi instanceof Float64Array) for (let c = 0; c < phi.length; c++) phi[c] += m.weight * s.phi[c];
      else for (const [c, v] of s.phi) phi[c] += m.weight * v;
    }
    return { base, phi };
  };
  const explainer = explainerCache(j.members.map((m) => ({ weight: m.weight, model: m.model as LinearModelJson | ForestJson })));
  return {
    algorithm: 'blend',
    explanationMethod: 'blend-shap',
    explainer,
    scores: () => {
      throw new Error('the blend is a regression model');
    },
    predict: (X) => {
      const out = new Float64Array(X.rows);
      for (const { weight, model } of members) {
        const p = model.predict(X);
        for (let i = 0; i < out.length; i++) out[i] += weight * p[i];
      }
      return out;
    },
    explain: fastTop(explainer, (X, r, output, means, top) => topByMagnitude(denseShap(X, r, output, means).phi, top)),
    shap: (X, r, output, means) => {
      const { base, phi } = denseShap(X, r, output, means);
      const out = new Map<number, number>();
      phi.forEach((v, c) => {
        if (v !== 0) out.set(c, v);
      });
      return { base, phi: out };
    },
    toJSON: () => ({ type: 'blend', algorithm: 'blend', members: members.map((m) => ({ weight: m.weight, model: m.model.toJSON() as BlendJson['members'][number]['model'] })) }),
  };
}

/** Linear SHAP with its base value, the margin at the column means: b + sum_j w_j mean_j. */
function linearShapValues(m: LinearModel, X: CsrMatrix, r: number, output: number, means: ArrayLike<number>): ShapValues;
function linearShapValues(m: LinearModel, X: CsrMatrix, r: number, output: number, means: ArrayLike<number>, asMap: false): { base: number; phi: Float64Array };
function linearShapValues(m: LinearModel, X: CsrMatrix, r: number, output: number, means: ArrayLike<number>, asMap = true): { base: number; phi: Map<number, number> | Float64Array } {
  const dense = m.shap(X, r, means, output);
  const binary = m.weights.length === 1 && m.classes === 2;
  const k = binary ? 0 : output;
  const sign = binary && output === 0 ? -1 : 1;
  const w = m.weights[k];
  let base = m.bias[k];
  for (let c = 0; c < w.length; c++) base += w[c] * means[c];
  if (!asMap) return { base: sign * base, phi: dense };
  const phi = new Map<number, number>();
  for (let c = 0; c < dense.length; c++) if (dense[c] !== 0) phi.set(c, dense[c]);
  return { base: sign * base, phi };
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
