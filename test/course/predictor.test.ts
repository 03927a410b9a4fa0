import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { publishVersion } from '../../src/models/model-repository.js';
import { loadCoursePredictor } from '../../src/inference/course/course-predictor.js';
import { COURSE_BUNDLE_FORMAT, type CourseBundleJson } from '../../src/inference/course/bundle.js';
import { designMatrix, fitCandidate } from '../../src/training/course/candidates.js';
import { topByMagnitude } from '../../src/inference/course/course-model.js';
import { scoreCoursePredictions } from '../../src/training/course/commands.js';
import { loadCourseDataset } from '../../src/features/course/course-dataset.js';
import { metricsOf, predictRecords, type ClassificationMetrics, type RegressionMetrics } from '../../src/training/course/evaluate.js';
import { shippedTask } from '../../src/training/course/train.js';
import { popularityTask, subjectTask, subscribersTask } from '../../src/training/course/tasks.js';

// A small real subset keeps this test fast; the full training runs in `streamlens train course`.
const ds = loadCourseDataset();
const train = ds.records.filter((_, i) => i % 5 !== 0 && i % 3 === 0);
const test = ds.records.filter((_, i) => i % 5 === 0).slice(0, 150);
let root: string;

describe('course predictor (served path)', () => {
  const subject = fitCandidate(subjectTask, 'logistic-regression', { C: 10 }, train, 1);
  const popularity = fitCandidate(popularityTask(false), 'random-forest', { trees: 8, view: 'numeric', minSamplesLeaf: 5 }, train, 1);
  // the shipped subscriber model is a blend of gradient boosting and ridge (models/course/3): serve the same here
  const gbm = { rounds: 40, learningRate: 0.1, view: 'all' as const, treeTerms: 50, maxDepth: 4, minSamplesLeaf: 10, subsample: 0.8, maxFeatures: 0.5 };
  const subscribers = fitCandidate(
    subscribersTask(false),
    'blend',
    {
      view: 'all',
      weight: 0.6,
      members: [
        { algorithm: 'gradient-boosting', params: gbm },
        { algorithm: 'linear-regression', params: { view: 'all', alpha: 3 } },
      ],
    },
    train,
    1,
  );
  const bundle: CourseBundleJson = {
    format: COURSE_BUNDLE_FORMAT,
    formatVersion: 1,
    referenceDate: ds.referenceDate,
    subject: shippedTask(subjectTask, subject),
    popularity: shippedTask(popularityTask(false), popularity),
    subscribers: shippedTask(subscribersTask(false), subscribers),
  };

  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), 'course-models-'));
    publishVersion(
      'course',
      {
        task: 'course',
        format: 'json',
        files: { json: 'model.json' },
        labels: bundle.subject.labels,
        inputs: [{ name: 'course', shape: [-1, bundle.subject.featureSpace.columns.length], dtype: 'float32' }],
        outputs: [{ name: 'subject', shape: [-1, 4], dtype: 'float32' }],
        features: { kind: 'course', settings: { referenceDate: ds.referenceDate } },
        training: {},
        metrics: {},
      },
      { 'model.json': Buffer.from(JSON.stringify(bundle)) },
      root,
    );
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('reproduces the evaluation numbers of the trained models', () => {
    const p = loadCoursePredictor(undefined, { root });
    const served = scoreCoursePredictions(test, p.predict(test));
    const s = metricsOf(subjectTask, predictRecords(subjectTask, subject, test)) as ClassificationMetrics;
    const pop = metricsOf(popularityTask(false), predictRecords(popularityTask(false), popularity, test)) as ClassificationMetrics;
    const subs = metricsOf(subscribersTask(false), predictRecords(subscribersTask(false), subscribers, test)) as RegressionMetrics;
    expect(served.n).toBe(test.length);
    expect(served.subject.accuracy).toBeCloseTo(s.accuracy, 12);
    expect(served.subject.macroF1).toBeCloseTo(s.macroF1, 12);
    expect(served.popularity.auc).toBeCloseTo(pop.auc!, 12);
    expect(served.popularity.accuracy).toBeCloseTo(pop.accuracy, 12);
    expect(served.subscribers.r2).toBeCloseTo(subs.r2, 4);
    expect(served.subject.accuracy).toBeGreaterThan(0.75);
  });

  it('returns labels, scores, probability, subscribers and top explanation terms', () => {
    const p = loadCoursePredictor(join(root, 'course', '1'));
    const held = ds.records.find((r, i) => i % 5 === 0 && r.titleTokens.includes('piano') && r.subject === 'Musical Instruments')!;
    const piano = { ...held, subject: undefined };
    const [pred] = p.predict([piano]);
    expect(pred.subject.label).toBe('Musical Instruments');
    expect(Object.values(pred.subject.scores).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 4);
    expect(pred.subjectUsed).toBe('Musical Instruments');
    const term = pred.subject.explanation.find((e) => e.feature === 'title:piano');
    expect(term, JSON.stringify(pred.subject.explanation)).toBeDefined();
    expect(term!.contribution).toBeGreaterThan(0);
    expect(pred.popularity.probability).toBeGreaterThanOrEqual(0);
    expect(pred.popularity.probability).toBeLessThanOrEqual(1);
    expect(pred.explanationMethod).toEqual({ subject: 'linear-shap', popularity: 'tree-shap', subscribers: 'blend-shap' });
    expect(pred.popularity.explanation.length).toBeGreaterThan(0);
    expect(pred.subscribers.explanation.length).toBeGreaterThan(0);
    expect(pred.subscribers.predicted).toBeCloseTo(Math.expm1(pred.subscribers.log1p), 6);
  });

  it('explains the blended subscriber prediction exactly: served terms are the largest SHAP values, which sum with the base to it', () => {
    const p = loadCoursePredictor(undefined, { root });
    const records = test.slice(0, 10);
    const served = p.predict(records);
    const X = designMatrix(subscribers, records);
    records.forEach((_, i) => {
      const s = subscribers.model.shap(X, i, 0, subscribers.means)!;
      const total = [...s.phi.values()].reduce((a, b) => a + b, 0);
      expect(Math.abs(s.base + total - served[i].subscribers.log1p)).toBeLessThan(1e-6);
      // one-hot columns of categories the record does not have (subject=..., level=...) are left out
      const cols = subscribers.space.columns;
      const phi = new Map(s.phi);
      for (const c of [...phi.keys()]) {
        const m = /^(subject|level)=(.*)$/.exec(cols[c]);
        if (m && m[2] !== (m[1] === 'subject' ? records[i].subject : records[i].level)) phi.delete(c);
      }
      const top = topByMagnitude(phi, 5).map(([c, v]) => ({ feature: cols[c], contribution: Number(v.toPrecision(5)) }));
      expect(served[i].subscribers.explanation).toEqual(top);
      // no output's explanation names a category the record does not belong to
      const explained = [...served[i].popularity.explanation, ...served[i].subscribers.explanation, ...served[i].subject.explanation].filter((e) => /^(subject|level)=/.test(e.feature));
      for (const e of explained) expect([`subject=${records[i].subject}`, `level=${records[i].level}`]).toContain(e.feature);
    });
    // the blend uses title words (ridge) and numeric attributes (both members)
    const features = served.flatMap((s) => s.subscribers.explanation.map((e) => e.feature));
    expect(features.some((f) => !f.startsWith('title:'))).toBe(true);
  });

  it('skips the explanations when asked, with the same scores', () => {
    const p = loadCoursePredictor(undefined, { root });
    const records = test.slice(0, 20);
    const full = p.predict(records);
    const bare = p.predict(records, { explain: false });
    expect(full[0].subscribers.explanation.length).toBeGreaterThan(0);
    bare.forEach((b, i) => {
      expect(b.subject.explanation).toEqual([]);
      expect(b.popularity.explanation).toEqual([]);
      expect(b.subscribers.explanation).toEqual([]);
      expect(b.subject.scores).toEqual(full[i].subject.scores);
      expect(b.popularity.probability).toBe(full[i].popularity.probability);
      expect(b.subscribers.log1p).toBe(full[i].subscribers.log1p);
    });
  });

  it('refuses a tampered model file', () => {
    writeFileSync(join(root, 'course', '1', 'model.json'), '{}');
    expect(() => loadCoursePredictor('1', { root })).toThrow(/sha256/);
  });
});
