import { describe, expect, it } from 'vitest';
import { csrFromDense } from '../helpers/csr.js';
import { SeededRandom } from '../../src/core/random.js';
import { r2Score } from '../../src/analysis/regression.js';
import { type BlendJson, chooseBlendWeight } from '../../src/training/course/blend.js';
import { designMatrix, fitCandidate } from '../../src/training/course/candidates.js';
import { courseModelFromJson } from '../../src/inference/course/course-model.js';
import { loadCourseDataset } from '../../src/features/course/course-dataset.js';
import { fitGradientBoosting } from '../../src/training/course/gradient-boosting.js';
import { fitRidge } from '../../src/training/course/linear-fit.js';
import { LinearModel } from '../../src/inference/course/linear-model.js';
import { TreeEnsemble } from '../../src/inference/course/random-forest.js';
import { columnMeans, denseColumns } from '../../src/features/course/sparse-matrix.js';
import { subscribersTask } from '../../src/training/course/tasks.js';
import { blendParams, crossValidate, cvSplits } from '../../src/training/course/train.js';

/** y = 2 sin(2 x0) + 1.5 x1 + x2 + noise: a tree part and a linear part. */
function mixed(n: number, seed: number) {
  const rng = new SeededRandom(seed);
  const rows: number[][] = [];
  const y: number[] = [];
  for (let i = 0; i < n; i++) {
    const x = [rng.normal(), rng.normal(), rng.normal()];
    rows.push(x);
    y.push(2 * Math.sin(2 * x[0]) + 1.5 * x[1] + x[2] + 0.3 * rng.normal());
  }
  return { X: csrFromDense(rows), y: Float64Array.from(y) };
}

describe('blend weight from out-of-fold predictions', () => {
  const rng = new SeededRandom(5);
  const n = 500;
  const y = Float64Array.from({ length: n }, () => rng.normal());
  // two predictors with independent errors, the first twice as noisy: the best convex weight is 1/5
  const a = Float64Array.from(y, (v) => v + 1.0 * rng.normal());
  const b = Float64Array.from(y, (v) => v + 0.5 * rng.normal());
  const folds = Array.from({ length: 5 }, (_, f) => Array.from({ length: n / 5 }, (_, k) => k * 5 + f));
  const foldMean = (p: ArrayLike<number>) => folds.reduce((s, rows) => s + r2Score(rows.map((i) => y[i]), rows.map((i) => p[i])), 0) / folds.length;

  it('picks the weight with the best mean fold R², near the inverse-variance optimum', () => {
    const c = chooseBlendWeight(a, b, y, folds);
    expect(c.curve).toHaveLength(21);
    const best = Math.max(...c.curve.map((p) => p.cvScore));
    expect(c.cvScore).toBe(best);
    expect(c.curve.find((p) => p.weight === c.weight)!.cvScore).toBe(best);
    expect(c.weight).toBeGreaterThanOrEqual(0.1);
    expect(c.weight).toBeLessThanOrEqual(0.3);
    // the blend beats both members; the curve's ends are the members' own scores
    expect(c.cvScore).toBeGreaterThan(foldMean(b) + 0.01);
    expect(c.curve[0].cvScore).toBeCloseTo(foldMean(b), 12);
    expect(c.curve[20].cvScore).toBeCloseTo(foldMean(a), 12);
    expect(c.cvStd).toBeGreaterThan(0);
  });

  it('keeps a useless member out (weight 0 or 1)', () => {
    // pure noise of sd 5: the optimum weight is 0.25 / 26.25, below the first grid step
    const noise = Float64Array.from(y, () => 5 * rng.normal());
    expect(chooseBlendWeight(noise, b, y, folds).weight).toBe(0);
    expect(chooseBlendWeight(b, noise, y, folds).weight).toBe(1);
  });

  it('refuses mismatched inputs', () => {
    expect(() => chooseBlendWeight(a.subarray(1), b, y, folds)).toThrow(/predictions/);
    expect(() => chooseBlendWeight(a, b, y, [])).toThrow(/folds/);
  });
});

describe('blend model (gradient boosting + ridge)', () => {
  const train = mixed(600, 21);
  const test = mixed(300, 22);
  const ids = [0, 1, 2];
  // the members as stored (6 significant digits), so that their own SHAP values compare exactly
  const gbm = TreeEnsemble.fromJSON(JSON.parse(JSON.stringify(fitGradientBoosting(denseColumns(train.X, ids), ids, train.y, { rounds: 100, learningRate: 0.1, maxDepth: 3, minSamplesLeaf: 5, subsample: 0.8, seed: 1 }).toJSON())));
  const ridge = LinearModel.fromJSON(JSON.parse(JSON.stringify(fitRidge(train.X, train.y, 1).toJSON())));
  const w = 0.6;
  const json: BlendJson = { type: 'blend', algorithm: 'blend', members: [{ weight: w, model: gbm.toJSON() }, { weight: 1 - w, model: ridge.toJSON() }] };
  const m = courseModelFromJson(JSON.parse(JSON.stringify(json)));
  const means = columnMeans(train.X);

  it('predicts the weighted sum of its members', () => {
    const pg = courseModelFromJson(gbm.toJSON()).predict(test.X);
    const pr = courseModelFromJson(ridge.toJSON()).predict(test.X);
    m.predict(test.X).forEach((v, i) => expect(v).toBeCloseTo(w * pg[i] + (1 - w) * pr[i], 12));
    expect(m.algorithm).toBe('blend');
    expect(m.explanationMethod).toBe('blend-shap');
  });

  it('explains additively: base + sum of SHAP values equals the prediction, per row', () => {
    const pred = m.predict(test.X);
    const treeBase = gbm.expectedValue(0);
    const linearBase = ridge.bias[0] + ridge.weights[0].reduce((s, wj, j) => s + wj * means[j], 0);
    for (let r = 0; r < 20; r++) {
      const s = m.shap(test.X, r, 0, means)!;
      expect(s.base).toBeCloseTo(w * treeBase + (1 - w) * linearBase, 10);
      const total = [...s.phi.values()].reduce((a, b) => a + b, 0);
      expect(Math.abs(s.base + total - pred[r])).toBeLessThan(1e-6);
      // each value is w * TreeSHAP + (1 - w) * linear SHAP
      const tree = gbm.shap(test.X, r, 0).phi;
      const lin = ridge.shap(test.X, r, means, 0);
      for (const f of ids) expect(s.phi.get(f) ?? 0).toBeCloseTo(w * (tree.get(f) ?? 0) + (1 - w) * lin[f], 10);
    }
    // the top terms come from the same values, largest first
    const top = m.explain(test.X, 0, 0, means, 2)!;
    expect(top).toHaveLength(2);
    expect(Math.abs(top[0][1])).toBeGreaterThanOrEqual(Math.abs(top[1][1]));
    expect(top[0][1]).toBeCloseTo(m.shap(test.X, 0, 0, means)!.phi.get(top[0][0])!, 12);
  });

  it('survives a JSON round trip and refuses nested blends', () => {
    const again = courseModelFromJson(JSON.parse(JSON.stringify(m.toJSON())));
    expect(Array.from(again.predict(test.X))).toEqual(Array.from(m.predict(test.X)));
    expect(() => courseModelFromJson({ type: 'blend', algorithm: 'blend', members: [{ weight: 1, model: json as never }] })).toThrow(/blends/);
    expect(() => courseModelFromJson({ type: 'blend', algorithm: 'blend', members: [] })).toThrow(/no members/);
  });
});

describe('blend of the subscriber models on course data', () => {
  const ds = loadCourseDataset();
  const train = ds.records.filter((_, i) => i % 4 === 1);
  const test = ds.records.filter((_, i) => i % 4 === 2).slice(0, 200);
  const task = subscribersTask(false);
  const gbm = { algorithm: 'gradient-boosting' as const, params: { rounds: 30, learningRate: 0.1, view: 'numeric' as const, maxDepth: 3, minSamplesLeaf: 10, subsample: 0.8 } };
  const ridge = { algorithm: 'linear-regression' as const, params: { view: 'numeric' as const, alpha: 10 } };

  it('chooses the weight on out-of-fold predictions of the same folds as cross-validation', () => {
    const b = blendParams(task, gbm, ridge, train, 5, 7)!;
    expect(b.params.weight).toBe(b.choice.weight);
    expect(b.params.members).toEqual([gbm, ridge]);
    // the curve's ends are the members' own cross-validated scores: the folds and seeds are shared
    expect(b.choice.curve[20].cvScore).toBeCloseTo(crossValidate(task, gbm.algorithm, gbm.params, train, 5, 7).mean, 12);
    expect(b.choice.curve[0].cvScore).toBeCloseTo(crossValidate(task, ridge.algorithm, ridge.params, train, 5, 7).mean, 12);
    expect(b.choice.cvScore).toBeGreaterThanOrEqual(Math.max(b.choice.curve[0].cvScore, b.choice.curve[20].cvScore));
    expect(cvSplits(task, train, 5, 7).flatMap((s) => s.test).sort((x, y) => x - y)).toEqual(train.map((_, i) => i));

    // the fitted blend predicts w * GBM + (1 - w) * ridge, each fitted on all the rows
    const c = fitCandidate(task, 'blend', b.params, train, 3);
    const g = fitCandidate(task, gbm.algorithm, gbm.params, train, 3);
    const r = fitCandidate(task, ridge.algorithm, ridge.params, train, 3);
    const pg = g.model.predict(designMatrix(g, test));
    const pr = r.model.predict(designMatrix(r, test));
    const w = b.params.weight!;
    c.model.predict(designMatrix(c, test)).forEach((v, i) => expect(v).toBeCloseTo(w * pg[i] + (1 - w) * pr[i], 4));
  });

  it('refuses members with other views, and a weight outside [0, 1]', () => {
    expect(blendParams(task, gbm, { ...ridge, params: { view: 'all', alpha: 10 } }, train, 5, 7)).toBeNull();
    expect(() => fitCandidate(task, 'blend', { view: 'numeric', weight: 1.5, members: [gbm, ridge] }, train, 1)).toThrow(/weight/);
    expect(() => fitCandidate(task, 'blend', { view: 'all', weight: 0.5, members: [gbm, ridge] }, train, 1)).toThrow(/view/);
  });
});
