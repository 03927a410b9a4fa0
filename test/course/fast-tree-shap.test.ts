import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SeededRandom } from '../../src/core/random.js';
import { loadCoursePredictor } from '../../src/inference/course/course-predictor.js';
import { courseModelFromJson, topByMagnitude } from '../../src/inference/course/course-model.js';
import type { TreeJson } from '../../src/inference/course/decision-tree.js';
import { AdditiveExplainer } from '../../src/inference/course/fast-explain.js';
import { SIGNATURE_MAX_SPLITS, TreeShapTables, leafTable } from '../../src/inference/course/fast-tree-shap.js';
import { fitGradientBoosting } from '../../src/training/course/gradient-boosting.js';
import type { LinearModelJson } from '../../src/inference/course/linear-model.js';
import { fitObliviousBoosting } from '../../src/training/course/oblivious-boosting.js';
import { type ForestJson, TreeEnsemble } from '../../src/inference/course/random-forest.js';
import { fitForest } from '../../src/training/course/fit-forest.js';
import { type CsrMatrix, denseColumns } from '../../src/features/course/sparse-matrix.js';
import { addTreeShap } from '../../src/inference/course/tree-shap.js';
import { csrFromDense } from '../helpers/csr.js';

const fixtures = join(import.meta.dirname, '..', 'fixtures');

/** Reference (recursive TreeSHAP, tree-shap.ts) SHAP vector of a dense row, one output, dense over cols. */
function referenceShap(e: ForestJson, x: Float64Array, output: number): { base: number; phi: Float64Array } {
  const o = e.task === 'classification' ? e.classes : 1;
  const scale = e.scale ?? 1 / e.trees.length;
  const values = new Float64Array(x.length * o);
  let base = 0;
  for (const t of e.trees) base += addTreeShap(t, x, values, scale)[output];
  const phi = new Float64Array(x.length);
  for (let c = 0; c < x.length; c++) phi[c] = values[c * o + output];
  return { base: (e.offset?.[output] ?? 0) + scale * base, phi };
}

function maxDiff(a: Float64Array, b: Float64Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

function tablesOf(e: ForestJson, cols: number, output: number): TreeShapTables {
  return new TreeShapTables(e.trees, cols, { output, scale: e.scale ?? 1 / e.trees.length, offset: e.offset?.[output] ?? 0 });
}

/** Fast SHAP vector (dense over cols) and prediction of a dense row. */
function fastShap(t: TreeShapTables, x: Float64Array): { phi: Float64Array; prediction: number } {
  const xc = new Float64Array(t.featureCount);
  for (let k = 0; k < t.featureCount; k++) xc[k] = x[t.columns[k]];
  const pc = new Float64Array(t.featureCount);
  const prediction = t.explain(xc, pc);
  expect(t.predict(xc)).toBe(prediction);
  const phi = new Float64Array(x.length);
  for (let k = 0; k < t.featureCount; k++) phi[t.columns[k]] = pc[k];
  return { phi, prediction };
}

function predictDense(e: ForestJson, x: Float64Array, output: number): number {
  const m = TreeEnsemble.fromJSON(e);
  let s = 0;
  for (const t of m.trees) s += t.t.value[t.leaf(x) * t.t.outputs + output];
  return m.offset[output] + m.scale * s;
}

function compare(e: ForestJson, rows: Float64Array[], tol = 1e-9): void {
  const o = e.task === 'classification' ? e.classes : 1;
  for (let k = 0; k < o; k++) {
    const t = tablesOf(e, rows[0].length, k);
    for (const x of rows) {
      const ref = referenceShap(e, x, k);
      const fast = fastShap(t, x);
      expect(Math.abs(t.base - ref.base)).toBeLessThan(tol);
      expect(maxDiff(fast.phi, ref.phi)).toBeLessThan(tol);
      const pred = predictDense(e, x, k);
      expect(Math.abs(fast.prediction - pred)).toBeLessThan(tol);
      expect(Math.abs(t.base + fast.phi.reduce((a, b) => a + b, 0) - pred)).toBeLessThan(1e-6);
    }
  }
}

function randomData(seed: number, n: number, p: number): { rows: number[][]; y: Float64Array; cls: Int32Array } {
  const rng = new SeededRandom(seed);
  const rows = Array.from({ length: n }, () => Array.from({ length: p }, (_, j) => (j % 3 === 2 ? (rng.next() < 0.3 ? rng.int(4) : 0) : rng.normal())));
  const y = Float64Array.from(rows, (r) => (r[0] > 0 ? 1.5 : -0.5) * (r[1] > 0.3 ? 2 : 1) + r[2] * r[3] + 0.3 * rng.normal());
  const cls = Int32Array.from(rows, (r) => (r[0] + r[1] * r[4] > 0.2 ? 2 : r[3] > 0 ? 1 : 0));
  return { rows, y, cls };
}


/** The served explanation leaves out one-hot columns of categories the record does not have. */
function ownCategoriesOnly(phi: Map<number, number>, columns: readonly string[], record: { subject?: string; level?: string }): Map<number, number> {
  const out = new Map(phi);
  for (const c of phi.keys()) {
    const m = /^(subject|level)=(.*)$/.exec(columns[c]);
    if (m && m[2] !== (m[1] === 'subject' ? record.subject : record.level)) out.delete(c);
  }
  return out;
}

describe('TreeSHAP tables (fast-tree-shap.ts) against the recursive reference', () => {
  const { rows, y, cls } = randomData(11, 500, 8);
  const X = csrFromDense(rows);
  const ids = Array.from({ length: 8 }, (_, i) => i);
  const cols = denseColumns(X, ids);
  const probe = Array.from({ length: 120 }, (_, i) => {
    // training rows and fresh random ones (values outside the training range too)
    if (i < 60) return Float64Array.from(rows[i * 7]);
    const rng = new SeededRandom(1000 + i);
    return Float64Array.from({ length: 8 }, () => 3 * rng.normal());
  });

  it('leaf tables equal the recursive algorithm on one path (every pattern)', () => {
    const z = [0.3, 0.55, 0.8, 0.1];
    const table = leafTable(z, 2.5);
    // brute force: Shapley values of v(S) = 2.5 * prod_{j in S} o_j * prod_{j not in S} z_j
    const fact = (n: number): number => (n <= 1 ? 1 : n * fact(n - 1));
    for (let q = 0; q < 16; q++) {
      const o = z.map((_, j) => ((q >> j) & 1 ? 1 : 0));
      const v = (S: number) => 2.5 * z.reduce((a, zj, j) => a * ((S >> j) & 1 ? o[j] : zj), 1);
      for (let i = 0; i < 4; i++) {
        let s = 0;
        for (let S = 0; S < 16; S++) {
          if ((S >> i) & 1) continue;
          let size = 0;
          for (let j = 0; j < 4; j++) size += (S >> j) & 1;
          s += ((fact(size) * fact(3 - size)) / fact(4)) * (v(S | (1 << i)) - v(S));
        }
        expect(table[q * 4 + i]).toBeCloseTo(s, 14);
      }
    }
  });

  it('depthwise boosting (path tables, repeated features on a path)', () => {
    const e = fitGradientBoosting(cols, ids, y, { rounds: 25, learningRate: 0.2, maxDepth: 7, minSamplesLeaf: 3, subsample: 0.8, seed: 1 }).toJSON();
    const t = tablesOf(e, 8, 0);
    expect(t.pathTrees).toBeGreaterThan(0);
    compare(e, probe);
  });

  it('oblivious boosting (signature tables: every tree has at most depth distinct splits)', () => {
    const e = fitObliviousBoosting(cols, ids, y, { rounds: 30, learningRate: 0.2, depth: 6, minSamplesLeaf: 4, l2: 2, subsample: 0.8, seed: 2 }).toJSON();
    const t = tablesOf(e, 8, 0);
    expect(t.signatureTrees).toBe(30);
    expect(t.pathTrees).toBe(0);
    compare(e, probe);
  });

  it('a multi-class random forest, every output', () => {
    const e = fitForest(cols, ids, cls, { task: 'classification', classes: 3, trees: 4, maxDepth: 9, minSamplesLeaf: 2, maxFeatures: 'sqrt', seed: 3 }).toJSON();
    compare(e, probe);
  });

  it('trees with few distinct splits use signature tables, bigger ones path tables', () => {
    const small = fitGradientBoosting(cols, ids, y, { rounds: 5, learningRate: 0.2, maxDepth: 3, seed: 1 }).toJSON();
    expect(small.trees.every((t) => t.feature.filter((f) => f >= 0).length <= SIGNATURE_MAX_SPLITS)).toBe(true);
    expect(tablesOf(small, 8, 0).signatureTrees).toBe(5);
    compare(small, probe);
  });

  it('refuses paths too long for tables (the model falls back to the recursive algorithm)', () => {
    // a chain of 14 splits on 14 different features
    const n = 14;
    const t: TreeJson = { outputs: 1, feature: [], threshold: [], left: [], right: [], cover: [], value: [] };
    for (let i = 0; i < n; i++) {
      const node = t.feature.length;
      t.feature.push(i, -1);
      t.threshold.push(0, 0);
      t.cover.push(100 - i * 5, 3);
      t.value.push(0, i);
      t.left.push(node + 1, -1);
      t.right.push(node + 2, -1);
    }
    t.feature.push(-1);
    t.threshold.push(0);
    t.left.push(-1);
    t.right.push(-1);
    t.cover.push(100 - n * 5);
    t.value.push(9);
    // fix covers: a parent's cover is the sum of its children's
    for (let i = n - 1; i >= 0; i--) t.cover[2 * i] = t.cover[2 * i + 1] + t.cover[2 * i + 2];
    const e: ForestJson = { type: 'forest', algorithm: 'gradient-boosting', task: 'regression', classes: 1, trees: [t], offset: [0], scale: 1 };
    expect(() => tablesOf(e, n, 0)).toThrow(/tree shap tables/);
    const m = courseModelFromJson(e);
    const Xd: CsrMatrix = csrFromDense([Array.from({ length: n }, (_, i) => (i % 2 ? 1 : -1))]);
    const top = m.explain(Xd, 0, 0, new Float64Array(n), 3)!;
    expect(top).toEqual(topByMagnitude(m.shap(Xd, 0, 0, new Float64Array(n))!.phi, 3));
  });
});

describe('TreeSHAP tables against the shap package (test/fixtures/tree-shap.json)', () => {
  const input = JSON.parse(readFileSync(join(fixtures, 'tree-shap-input.json'), 'utf8')) as {
    cols: number;
    ensembles: Record<string, ForestJson>;
    rows: { indices: number[]; values: number[] }[];
  };
  const expected = JSON.parse(readFileSync(join(fixtures, 'tree-shap.json'), 'utf8')) as {
    ensembles: Record<string, { expectedValue: number; prediction: number[]; phi: [number, number][][] }[]>;
  };
  const dense = input.rows.map((r) => {
    const x = new Float64Array(input.cols);
    r.indices.forEach((c, k) => (x[c] = r.values[k]));
    return x;
  });

  for (const name of ['depthwise', 'oblivious', 'forest']) {
    it(`${name}: SHAP values, expected value and prediction equal shap's TreeExplainer`, () => {
      const e = input.ensembles[name];
      const outputs = expected.ensembles[name];
      expect(outputs.length).toBe(e.task === 'classification' ? e.classes : 1);
      outputs.forEach((ref, k) => {
        const t = tablesOf(e, input.cols, k);
        expect(Math.abs(t.base - ref.expectedValue)).toBeLessThan(1e-9);
        dense.forEach((x, i) => {
          const fast = fastShap(t, x);
          const want = new Float64Array(input.cols);
          for (const [c, v] of ref.phi[i]) want[c] = v;
          expect(maxDiff(fast.phi, want)).toBeLessThan(1e-9);
          expect(Math.abs(fast.prediction - ref.prediction[i])).toBeLessThan(1e-9);
          // the recursive reference agrees too
          expect(maxDiff(referenceShap(e, x, k).phi, want)).toBeLessThan(1e-9);
        });
      });
    });
  }
});

describe('top terms without the dense vector (fast-explain.ts)', () => {
  it('equals topByMagnitude of the exact SHAP vector, ties by column, for linear, tree and blended models', () => {
    const { rows, y } = randomData(5, 300, 9);
    const X = csrFromDense(rows.map((r) => r.map((v, j) => (j >= 6 ? Math.max(0, v) : v))));
    const ids = Array.from({ length: 9 }, (_, i) => i);
    const trees = fitObliviousBoosting(denseColumns(X, ids), ids, y, { rounds: 20, learningRate: 0.2, depth: 4, seed: 1 }).toJSON();
    // weights with ties in |w_c * mean_c| (columns 6, 7, 8 share |weight| and mean)
    const means = Float64Array.from([0.1, -0.2, 0.3, 0, 0.5, 0.5, 0.25, 0.25, 0.25]);
    const linear: LinearModelJson = { type: 'linear', algorithm: 'ridge', link: 'identity', classes: 1, weights: [[0.5, 1, -2, 3, 0.1, -0.1, 2, -2, 2]], bias: [0.7] };
    const models = {
      linear: courseModelFromJson(linear),
      trees: courseModelFromJson(trees),
      blend: courseModelFromJson({ type: 'blend', algorithm: 'blend', members: [{ weight: 0.6, model: trees }, { weight: 0.4, model: linear }] }),
    };
    for (const [name, m] of Object.entries(models)) {
      const e = m.explainer(X.cols, 0, means)!;
      expect(e, name).toBeInstanceOf(AdditiveExplainer);
      const predicted = m.predict(X);
      // the batch paths (tree by tree over 64-row batches) give the same numbers as the single-row ones
      const all = e.explainAll(X, 5);
      const allPredicted = e.predictAll(X);
      expect(all.length).toBe(X.rows);
      for (let r = 0; r < X.rows; r++) {
        expect(all[r]).toEqual(e.explain(X, r, 5));
        expect(allPredicted[r]).toBe(all[r].prediction);
      }
      for (let r = 0; r < 60; r++) {
        const s = m.shap(X, r, 0, means)!;
        const total = [...s.phi.values()].reduce((a, b) => a + b, 0);
        for (const k of [1, 3, 5, 9]) {
          const fast = e.explain(X, r, k);
          const want = topByMagnitude(s.phi, k);
          expect(fast.terms.map(([c]) => c), `${name} row ${r} k ${k}`).toEqual(want.map(([c]) => c));
          fast.terms.forEach(([, v], j) => expect(Math.abs(v - want[j][1])).toBeLessThan(1e-9));
          expect(Math.abs(fast.prediction - predicted[r])).toBeLessThan(1e-9);
          expect(Math.abs(s.base + total - fast.prediction)).toBeLessThan(1e-6);
          expect(e.predict(X, r)).toBe(fast.prediction);
        }
        expect(m.explain(X, r, 0, means, 5)).toEqual(e.explain(X, r, 5).terms);
      }
    }
  });
});

describe('popularity from the subscriber score (score link)', () => {
  it('explains the margin exactly: slope x the regression SHAP values, base slope x base + intercept, both outputs', () => {
    const { rows, y } = randomData(9, 300, 9);
    const X = csrFromDense(rows);
    const ids = Array.from({ length: 9 }, (_, i) => i);
    const trees = fitObliviousBoosting(denseColumns(X, ids), ids, y, { rounds: 20, learningRate: 0.2, depth: 5, seed: 4 }).toJSON();
    const linear: LinearModelJson = { type: 'linear', algorithm: 'ridge', link: 'identity', classes: 1, weights: [[0.5, 1, -2, 3, 0.1, -0.1, 2, -2, 2]], bias: [0.7] };
    const blend = { type: 'blend' as const, algorithm: 'blend' as const, members: [{ weight: 0.6, model: trees }, { weight: 0.4, model: linear }] };
    const link = courseModelFromJson({ type: 'score-link', algorithm: 'subscriber-score', slope: 1.7, intercept: -2.2, model: blend });
    const reg = courseModelFromJson(blend);
    const means = new Float64Array(9).fill(0.1);
    const scores = link.scores(X);
    const f = reg.predict(X);
    for (let r = 0; r < 40; r++) {
      expect(scores[r][1]).toBeCloseTo(1 / (1 + Math.exp(-(1.7 * f[r] - 2.2))), 12);
      for (const output of [0, 1]) {
        const s = link.shap(X, r, output, means)!;
        const total = [...s.phi.values()].reduce((a, b) => a + b, 0);
        const margin = Math.log(scores[r][output] / scores[r][1 - output]);
        expect(Math.abs(s.base + total - margin)).toBeLessThan(1e-6);
        const e = link.explainer(X.cols, output, means)!;
        const fast = e.explain(X, r, 5);
        const want = topByMagnitude(s.phi, 5);
        expect(fast.terms.map(([c]) => c)).toEqual(want.map(([c]) => c));
        fast.terms.forEach(([, v], j) => expect(Math.abs(v - want[j][1])).toBeLessThan(1e-9));
        expect(Math.abs(fast.prediction - margin)).toBeLessThan(1e-9);
      }
    }
  });

  it('the predictor serves a score link over its own subscriber model from the subscriber prediction and terms', async () => {
    const { coursePredictorFromBundle } = await import('../../src/inference/course/course-predictor.js');
    const p = loadCoursePredictor();
    const bundle = JSON.parse(readFileSync(join(p.dir, 'model.json'), 'utf8'));
    // the shipped popularity model, whatever it is, replaced by a score link over the subscriber model
    const linked = { ...bundle, popularity: { ...bundle.popularity, featureSpace: bundle.subscribers.featureSpace, means: bundle.subscribers.means, view: bundle.subscribers.view, model: { type: 'score-link', algorithm: 'subscriber-score', slope: 1.3, intercept: -9, model: bundle.subscribers.model } } };
    const served = coursePredictorFromBundle(linked, p.manifest, p.dir);
    const { loadCourseDataset } = await import('../../src/features/course/course-dataset.js');
    const ds = loadCourseDataset(undefined, { referenceDate: p.referenceDate });
    const records = ds.records.filter((_, i) => i % 17 === 5).slice(0, 60);
    const out = served.predict(records);
    const bare = served.predict(records, { explain: false });
    const model = courseModelFromJson(linked.popularity.model);
    const { FeatureSpace } = await import('../../src/features/course/feature-space.js');
    const space = new FeatureSpace(linked.popularity.featureSpace);
    const X = space.transform(records.map((r, i) => ({ ...r, subject: out[i].subjectUsed })));
    const scores = model.scores(X);
    out.forEach((o, i) => {
      expect(o.popularity.probability).toBeCloseTo(1 / (1 + Math.exp(-(1.3 * o.subscribers.log1p - 9))), 12);
      expect(Math.abs(o.popularity.probability - scores[i][1])).toBeLessThan(1e-9);
      expect(bare[i].popularity.probability).toBe(o.popularity.probability);
      expect(o.explanationMethod.popularity).toBe('score-link-shap');
      const s = model.shap(X, i, 1, Float64Array.from(linked.popularity.means))!;
      const want = topByMagnitude(ownCategoriesOnly(s.phi, space.columns, { subject: o.subjectUsed, level: records[i].level }), 5).map(([c, v]) => ({ feature: space.columns[c], contribution: Number(v.toPrecision(5)) }));
      expect(o.popularity.explanation.map((t) => t.feature)).toEqual(want.map((t) => t.feature));
      o.popularity.explanation.forEach((t, j) => expect(Math.abs(t.contribution - want[j].contribution)).toBeLessThanOrEqual(Math.abs(want[j].contribution) * 1e-4 + 1e-12));
    });
  });
});

describe('the shipped course model on real Udemy rows', () => {
  it('serves the exact top SHAP terms of every task (against the reference implementations), summing with the base to the prediction', async () => {
    const { loadCourseDataset } = await import('../../src/features/course/course-dataset.js');
    const p = loadCoursePredictor();
    const bundle = JSON.parse(readFileSync(join(p.dir, 'model.json'), 'utf8'));
    const ds = loadCourseDataset(undefined, { referenceDate: p.referenceDate });
    const records = ds.records.filter((_, i) => i % 10 === 3).slice(0, 120);
    const served = p.predict(records);
    expect(p.explanationBytes).toBeGreaterThan(0);
    const { FeatureSpace } = await import('../../src/features/course/feature-space.js');
    const { maskColumns } = await import('../../src/features/course/sparse-matrix.js');
    for (const name of ['subject', 'popularity', 'subscribers'] as const) {
      const task = bundle[name];
      const space = new FeatureSpace(task.featureSpace);
      const model = courseModelFromJson(task.model);
      const means = Float64Array.from(task.means);
      const withSubject = records.map((r, i) => (name === 'subject' ? r : { ...r, subject: served[i].subjectUsed }));
      const full = space.transform(withSubject);
      const n = space.numericCount;
      const X = task.view === 'numeric' ? maskColumns(full, (c) => c < n) : task.view === 'text' ? maskColumns(full, (c) => c >= n) : full;
      records.forEach((_, i) => {
        const output = name === 'subject' ? task.labels.indexOf(served[i].subject.label) : name === 'popularity' ? 1 : 0;
        const s = model.shap(X, i, output, means);
        if (!s) return;
        const want = topByMagnitude(ownCategoriesOnly(s.phi, space.columns, withSubject[i]), 5).map(([c, v]) => ({ feature: space.columns[c], contribution: Number(v.toPrecision(5)) }));
        const got = served[i][name].explanation;
        expect(got.map((t) => t.feature)).toEqual(want.map((t) => t.feature));
        got.forEach((t, j) => expect(Math.abs(t.contribution - want[j].contribution)).toBeLessThanOrEqual(Math.abs(want[j].contribution) * 1e-4 + 1e-12));
        if (name === 'subscribers') {
          const total = [...s.phi.values()].reduce((a, b) => a + b, 0);
          expect(Math.abs(s.base + total - served[i].subscribers.log1p)).toBeLessThan(1e-6);
        }
      });
    }
  });
});
