import { describe, expect, it } from 'vitest';
import { csrFromDense } from '../helpers/csr.js';
import { SeededRandom } from '../../src/core/random.js';
import { type TreeJson } from '../../src/inference/course/decision-tree.js';
import { binColumns, fitDecisionTree } from '../../src/training/course/fit-decision-tree.js';
import { fitKnn } from '../../src/training/course/fit-knn.js';
import { minimizeLbfgs } from '../../src/training/course/lbfgs.js';
import { fitLinearSvm, fitLogisticRegression, fitRidge } from '../../src/training/course/linear-fit.js';
import { LinearModel } from '../../src/inference/course/linear-model.js';
import { fitNaiveBayes } from '../../src/training/course/fit-naive-bayes.js';
import { permutationImportance } from '../../src/training/course/permutation-importance.js';
import { TreeEnsemble } from '../../src/inference/course/random-forest.js';
import { fitForest } from '../../src/training/course/fit-forest.js';
import { columnMeans, denseColumns } from '../../src/features/course/sparse-matrix.js';
import { expectedValue, treeShap } from '../../src/inference/course/tree-shap.js';

/** Synthetic data: y depends on x0 (strongly), x1 (weakly); x2 is noise. */
function synthetic(n: number, seed: number) {
  const rng = new SeededRandom(seed);
  const rows: number[][] = [];
  const cls: number[] = [];
  const reg: number[] = [];
  for (let i = 0; i < n; i++) {
    const x = [rng.normal(), rng.normal(), rng.normal()];
    rows.push(x);
    const z = 2.5 * x[0] + 0.8 * x[1] + 0.3 * rng.normal();
    cls.push(z > 0 ? 1 : 0);
    reg.push(3 * x[0] - x[1] + 0.5 + 0.1 * rng.normal());
  }
  return { X: csrFromDense(rows), rows, y: Int32Array.from(cls), t: Float64Array.from(reg) };
}

const acc = (scores: Float64Array[], y: Int32Array) => scores.filter((s, i) => (s[1] > s[0] ? 1 : 0) === y[i]).length / y.length;

describe('L-BFGS', () => {
  it('minimises a badly scaled quadratic', () => {
    const a = [1, 100, 0.01];
    const r = minimizeLbfgs((x, g) => {
      let f = 0;
      for (let i = 0; i < 3; i++) {
        f += 0.5 * a[i] * (x[i] - i) ** 2;
        g[i] = a[i] * (x[i] - i);
      }
      return f;
    }, new Float64Array(3), { maxIterations: 200, gradientTolerance: 1e-10 });
    expect(Array.from(r.x).map((v) => Number(v.toFixed(5)))).toEqual([0, 1, 2]);
  });
});

describe('linear models', () => {
  const train = synthetic(400, 1);
  const test = synthetic(200, 2);

  it('logistic regression and linear SVM learn a linear boundary; weights rank the features', () => {
    for (const m of [fitLogisticRegression(train.X, train.y, 2, 1), fitLinearSvm(train.X, train.y, 2, 1)]) {
      expect(acc(m.predictScores(test.X), test.y)).toBeGreaterThan(0.9);
      const w = m.weights[0];
      expect(w[0]).toBeGreaterThan(w[1]);
      expect(Math.abs(w[1])).toBeGreaterThan(Math.abs(w[2]));
    }
  });

  it('multinomial logistic regression gives probabilities that sum to one', () => {
    const y3 = Int32Array.from(train.rows, (r) => (r[0] < -0.5 ? 0 : r[0] < 0.5 ? 1 : 2));
    const m = fitLogisticRegression(train.X, y3, 3, 10);
    const s = m.predictScores(train.X);
    for (const p of s.slice(0, 10)) expect(p.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
    expect(s.filter((p, i) => p.indexOf(Math.max(...p)) === y3[i]).length / y3.length).toBeGreaterThan(0.9);
  });

  it('ridge recovers coefficients; linear SHAP sums to the prediction minus the mean prediction', () => {
    const m = fitRidge(train.X, train.t, 0.01);
    expect(m.weights[0][0]).toBeCloseTo(3, 1);
    expect(m.weights[0][1]).toBeCloseTo(-1, 1);
    expect(m.bias[0]).toBeCloseTo(0.5, 1);
    const means = columnMeans(train.X);
    const pred = m.predict(test.X);
    const meanPred = m.bias[0] + m.weights[0].reduce((a, w, j) => a + w * means[j], 0);
    for (let r = 0; r < 5; r++) {
      const phi = m.shap(test.X, r, means, 0).reduce((a, b) => a + b, 0);
      expect(phi).toBeCloseTo(pred[r] - meanPred, 10);
    }
    const back = LinearModel.fromJSON(JSON.parse(JSON.stringify(m.toJSON())));
    expect(back.predict(test.X)[0]).toBeCloseTo(pred[0], 4);
  });
});

describe('trees', () => {
  const train = synthetic(400, 3);
  const test = synthetic(200, 4);
  const ids = [0, 1, 2];
  const cols = denseColumns(train.X, ids);

  it('binning keeps every distinct value when there are few, and thresholds separate bins', () => {
    const b = binColumns([Float64Array.of(3, 1, 2, 2, 1)], [0]);
    expect(b.binCounts).toEqual([3]);
    expect(Array.from(b.bins[0])).toEqual([2, 0, 1, 1, 0]);
    expect(Array.from(b.thresholds[0])).toEqual([1.5, 2.5]);
  });

  it('a decision tree and a random forest classify and regress', () => {
    const all = Int32Array.from({ length: 400 }, (_, i) => i);
    const tree = fitDecisionTree(binColumns(cols, ids), train.y, all, { task: 'classification', classes: 2, maxDepth: 6 });
    const treeAcc = acc(tree.predictRows(test.X), test.y);
    expect(treeAcc).toBeGreaterThan(0.8);
    const rf = fitForest(cols, ids, train.y, { task: 'classification', classes: 2, trees: 30, maxFeatures: 'sqrt', seed: 1 });
    expect(acc(rf.predictScores(test.X), test.y)).toBeGreaterThan(treeAcc - 0.02);
    const rfr = fitForest(cols, ids, train.t, { task: 'regression', classes: 1, trees: 30, minSamplesLeaf: 3, seed: 1 });
    const p = rfr.predict(test.X);
    const mse = p.reduce((a, v, i) => a + (v - test.t[i]) ** 2, 0) / p.length;
    expect(mse).toBeLessThan(1);
    const back = TreeEnsemble.fromJSON(JSON.parse(JSON.stringify(rfr.toJSON())));
    expect(Array.from(back.predict(test.X))).toEqual(Array.from(p).map((v) => expect.closeTo(v, 4)));
  });

  const depthOf = (t: TreeJson, node: number): number => (t.feature[node] < 0 ? 0 : 1 + Math.max(depthOf(t, t.left[node]), depthOf(t, t.right[node])));

  /** Brute-force Shapley values with the path-dependent value function TreeSHAP uses. */
  function bruteShap(t: TreeJson, x: number[], output: number): Map<number, number> {
    const features = [...new Set(t.feature.filter((f) => f >= 0))];
    const v = (S: Set<number>): number => {
      const walk = (node: number): number => {
        const f = t.feature[node];
        if (f < 0) return t.value[node * t.outputs + output];
        if (S.has(f)) return walk(x[f] <= t.threshold[node] ? t.left[node] : t.right[node]);
        const l = t.left[node];
        const r = t.right[node];
        return (t.cover[l] * walk(l) + t.cover[r] * walk(r)) / t.cover[node];
      };
      return walk(0);
    };
    const M = features.length;
    const fact = (n: number): number => (n <= 1 ? 1 : n * fact(n - 1));
    const phi = new Map<number, number>();
    for (const i of features) {
      const others = features.filter((f) => f !== i);
      let s = 0;
      for (let mask = 0; mask < 1 << others.length; mask++) {
        const S = new Set(others.filter((_, k) => mask & (1 << k)));
        const w = (fact(S.size) * fact(M - S.size - 1)) / fact(M);
        s += w * (v(new Set([...S, i])) - v(S));
      }
      phi.set(i, s);
    }
    return phi;
  }

  it('TreeSHAP equals brute-force Shapley values and sums to prediction minus expectation', () => {
    const rng = new SeededRandom(7);
    const rows = Array.from({ length: 300 }, () => [rng.normal(), rng.normal(), rng.normal(), rng.normal()]);
    const y = Float64Array.from(rows, (r) => (r[0] > 0 ? 2 : 0) + (r[1] > 0.5 ? 1 : 0) * (r[2] > 0 ? 3 : -1) + 0.5 * r[3]);
    const X = csrFromDense(rows);
    const ids4 = [0, 1, 2, 3];
    const f = fitForest(denseColumns(X, ids4), ids4, y, { task: 'regression', classes: 1, trees: 1, maxDepth: 5, minSamplesLeaf: 5 });
    const t = f.trees[0].t;
    for (const x of rows.slice(0, 8)) {
      const s = treeShap(t, x);
      const brute = bruteShap(t, x, 0);
      for (const [feat, val] of brute) expect(s.phi.get(feat)?.[0] ?? 0).toBeCloseTo(val, 10);
      const total = [...s.phi.values()].reduce((a, v) => a + v[0], 0);
      const pred = t.value[f.trees[0].leaf(x)];
      expect(s.base[0] + total).toBeCloseTo(pred, 10);
      expect(s.base[0]).toBeCloseTo(expectedValue(t)[0], 12);
    }
  });

  it('TreeSHAP of a deep multi-class forest sums, per class, to the probability minus its expectation', () => {
    const rng = new SeededRandom(8);
    const rows = Array.from({ length: 400 }, () => Array.from({ length: 6 }, () => rng.normal()));
    const y = Int32Array.from(rows, (r) => (r[0] + 0.5 * r[1] * r[2] > 0.3 ? 2 : r[3] > 0 ? 1 : 0));
    const X = csrFromDense(rows);
    const ids6 = [0, 1, 2, 3, 4, 5];
    const f = fitForest(denseColumns(X, ids6), ids6, y, { task: 'classification', classes: 3, trees: 5, maxFeatures: 'sqrt', seed: 2 });
    expect(Math.max(...f.trees.map((t) => depthOf(t.t, 0)))).toBeGreaterThan(8);
    const scores = f.predictScores(X);
    for (let r = 0; r < 5; r++) {
      for (let k = 0; k < 3; k++) {
        const s = f.shap(X, r, k);
        expect(s.base).toBeCloseTo(f.expectedValue(k), 12);
        expect(s.base + [...s.phi.values()].reduce((a, b) => a + b, 0)).toBeCloseTo(scores[r][k], 10);
      }
    }
  });
});

describe('naive Bayes and KNN', () => {
  it('multinomial NB on word counts and Gaussian NB on numbers', () => {
    // columns 0-1 numeric, 2-4 "words"
    const rows = [
      [0.1, 5, 1, 0, 0],
      [0.2, 6, 2, 0, 0],
      [0.0, 5.5, 1, 1, 0],
      [3.0, 1, 0, 0, 2],
      [3.2, 1.5, 0, 1, 1],
      [2.9, 0.5, 0, 0, 3],
    ];
    const y = Int32Array.of(0, 0, 0, 1, 1, 1);
    const X = csrFromDense(rows);
    const nb = fitNaiveBayes(X, y, 2, { gaussianColumns: [0, 1], multinomialColumns: [2, 3, 4], alpha: 1 });
    expect(nb.predictScores(X).map((s) => (s[1] > s[0] ? 1 : 0))).toEqual([0, 0, 0, 1, 1, 1]);
    // sklearn MultinomialNB feature_log_prob for class 0 with alpha 1: counts [4,1,0] -> log([5,2,1]/8)
    expect(nb.j.logTheta[0].map((v) => Number(v.toFixed(6)))).toEqual([5 / 8, 2 / 8, 1 / 8].map((v) => Number(Math.log(v).toFixed(6))));
    const knn = fitKnn(X, y, 2, 3, 'uniform');
    expect(knn.predictScores(csrFromDense([[0.1, 5.2, 1, 0, 0]]))[0][0]).toBe(1);
    const cos = fitKnn(X, y, 2, 1, 'distance', 'cosine');
    expect(cos.predictScores(csrFromDense([[0, 0, 0, 0, 0]]))[0].reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
  });
});

describe('permutation importance', () => {
  it('ranks the informative feature first and the noise feature last', () => {
    const train = synthetic(400, 5);
    const test = synthetic(300, 6);
    const m = fitLogisticRegression(train.X, train.y, 2, 1);
    const imp = permutationImportance(
      test.X,
      [0, 1, 2].map((c) => ({ name: `x${c}`, columns: [c] })),
      (X) => acc(m.predictScores(X), test.y),
      { repeats: 5, seed: 1 },
    );
    expect(imp.map((i) => i.feature)).toEqual(['x0', 'x1', 'x2']);
    expect(imp[0].mean).toBeGreaterThan(0.2);
    expect(Math.abs(imp[2].mean)).toBeLessThan(0.03);
  });
});
