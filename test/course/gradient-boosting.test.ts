import { describe, expect, it } from 'vitest';
import { csrFromDense } from '../helpers/csr.js';
import { SeededRandom } from '../../src/core/random.js';
import { courseModelFromJson } from '../../src/inference/course/course-model.js';
import { binColumns, fitDecisionTree } from '../../src/training/course/fit-decision-tree.js';
import { fitGradientBoosting } from '../../src/training/course/gradient-boosting.js';
import { type ForestJson, TreeEnsemble } from '../../src/inference/course/random-forest.js';
import { denseColumns } from '../../src/features/course/sparse-matrix.js';

/** y = 2 sin(2 x0) + x1^2 + noise; x2 and x3 are pure noise. */
function nonlinear(n: number, seed: number) {
  const rng = new SeededRandom(seed);
  const rows: number[][] = [];
  const y: number[] = [];
  for (let i = 0; i < n; i++) {
    const x = [rng.normal(), rng.normal(), rng.normal(), rng.normal()];
    rows.push(x);
    y.push(2 * Math.sin(2 * x[0]) + x[1] * x[1] + 0.3 * rng.normal());
  }
  return { X: csrFromDense(rows), y: Float64Array.from(y) };
}

const mse = (p: ArrayLike<number>, y: ArrayLike<number>) => {
  let s = 0;
  for (let i = 0; i < y.length; i++) s += (p[i] - y[i]) ** 2;
  return s / y.length;
};

describe('gradient-boosted regression trees', () => {
  const ids = [0, 1, 2, 3];
  const train = nonlinear(600, 11);
  const test = nonlinear(400, 12);
  const cols = denseColumns(train.X, ids);
  const options = { rounds: 150, learningRate: 0.1, maxDepth: 3, minSamplesLeaf: 5, subsample: 0.8, seed: 3 };
  const gbm = fitGradientBoosting(cols, ids, train.y, options);

  it('beats a constant and a single regression tree on held-out data', () => {
    const mean = train.y.reduce((a, b) => a + b, 0) / train.y.length;
    const constant = mse(new Float64Array(test.y.length).fill(mean), test.y);
    const all = Int32Array.from({ length: train.y.length }, (_, i) => i);
    const tree = fitDecisionTree(binColumns(cols, ids), train.y, all, { task: 'regression', classes: 1, maxDepth: 6, minSamplesLeaf: 5 });
    const treeMse = mse(tree.predictRows(test.X).map((v) => v[0]), test.y);
    const gbmMse = mse(gbm.predict(test.X), test.y);
    expect(treeMse).toBeLessThan(constant);
    expect(gbmMse).toBeLessThan(0.6 * treeMse);
    // noise variance is 0.09; the signal variance is about 3.8
    expect(1 - gbmMse / constant).toBeGreaterThan(0.9);
  });

  it('stores offset = training mean and scale = learning rate, one tree per round', () => {
    const j = gbm.toJSON();
    expect(j.algorithm).toBe('gradient-boosting');
    expect(j.trees).toHaveLength(options.rounds);
    expect(j.scale).toBe(options.learningRate);
    expect(j.offset![0]).toBeCloseTo(train.y.reduce((a, b) => a + b, 0) / train.y.length, 12);
    // each tree saw the 80% subsample
    expect(j.trees[0].cover[0]).toBe(Math.round(0.8 * train.y.length));
  });

  it('is deterministic for a seed, and the row subsample depends on it', () => {
    const again = fitGradientBoosting(cols, ids, train.y, options);
    expect(Array.from(again.predict(test.X))).toEqual(Array.from(gbm.predict(test.X)));
    const other = fitGradientBoosting(cols, ids, train.y, { ...options, seed: 4 });
    expect(Array.from(other.predict(test.X))).not.toEqual(Array.from(gbm.predict(test.X)));
  });

  it('TreeSHAP values of the ensemble sum to prediction minus expected value', () => {
    const pred = gbm.predict(test.X);
    const expected = gbm.expectedValue(0);
    for (let r = 0; r < 6; r++) {
      const s = gbm.shap(test.X, r, 0);
      expect(s.base).toBeCloseTo(expected, 12);
      const total = [...s.phi.values()].reduce((a, b) => a + b, 0);
      expect(Math.abs(s.base + total - pred[r])).toBeLessThan(1e-9);
      // the informative features carry the explanation, not the noise columns
      const size = (f: number) => Math.abs(s.phi.get(f) ?? 0);
      expect(Math.max(size(0), size(1))).toBeGreaterThan(Math.max(size(2), size(3)));
    }
  });

  it('survives a JSON round trip with identical predictions', () => {
    const saved = JSON.stringify(gbm.toJSON());
    const loaded = TreeEnsemble.fromJSON(JSON.parse(saved));
    const reloaded = TreeEnsemble.fromJSON(JSON.parse(JSON.stringify(loaded.toJSON())));
    expect(JSON.stringify(loaded.toJSON())).toBe(saved);
    expect(Array.from(reloaded.predict(test.X))).toEqual(Array.from(loaded.predict(test.X)));
    // the saved leaf values keep 6 significant digits: predictions move by far less than the noise
    const fresh = gbm.predict(test.X);
    loaded.predict(test.X).forEach((v, i) => expect(Math.abs(v - fresh[i])).toBeLessThan(1e-4));
    const served = courseModelFromJson(JSON.parse(saved));
    expect(served.algorithm).toBe('gradient-boosting');
    expect(served.explanationMethod).toBe('tree-shap');
    expect(Array.from(served.predict(test.X))).toEqual(Array.from(loaded.predict(test.X)));
  });

  it('rejects bad settings with a message naming them', () => {
    expect(() => fitGradientBoosting(cols, ids, train.y, { ...options, rounds: 0 })).toThrow(/rounds/);
    expect(() => fitGradientBoosting(cols, ids, train.y, { ...options, learningRate: 0 })).toThrow(/learningRate/);
    expect(() => fitGradientBoosting(cols, ids, train.y, { ...options, subsample: 1.5 })).toThrow(/subsample/);
    expect(() => fitGradientBoosting(cols, ids, train.y.subarray(0, 10), options)).toThrow(/rows/);
  });
});

describe('tree ensembles saved before offset/scale existed', () => {
  // two regression stumps on feature 0, as models/course/1 stored forests: no offset, no scale
  const stump = (threshold: number, low: number, high: number) => ({
    outputs: 1,
    feature: [0, -1, -1],
    threshold: [threshold, 0, 0],
    left: [1, -1, -1],
    right: [2, -1, -1],
    cover: [10, 4, 6],
    value: [0.4 * low + 0.6 * high, low, high],
  });
  const legacy: ForestJson = { type: 'forest', algorithm: 'random-forest', task: 'regression', classes: 1, trees: [stump(0, 1, 3), stump(1, 2, 6)] };

  it('load as an average of the trees, with TreeSHAP summing to the prediction', () => {
    const m = courseModelFromJson(JSON.parse(JSON.stringify(legacy)));
    const X = csrFromDense([[-1], [0.5], [2]]);
    expect(Array.from(m.predict(X))).toEqual([(1 + 2) / 2, (3 + 2) / 2, (3 + 6) / 2]);
    const e = TreeEnsemble.fromJSON(legacy);
    expect(e.expectedValue(0)).toBeCloseTo((2.2 + 4.4) / 2, 12);
    const s = e.shap(X, 1, 0);
    expect(s.base + [...s.phi.values()].reduce((a, b) => a + b, 0)).toBeCloseTo(2.5, 12);
    expect(e.toJSON()).not.toHaveProperty('offset');
  });

  it('a malformed offset is refused', () => {
    expect(() => TreeEnsemble.fromJSON({ ...legacy, offset: [1, 2] })).toThrow(/offset/);
  });
});
