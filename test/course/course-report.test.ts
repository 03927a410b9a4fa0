import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadCoursePredictor } from '../../src/inference/course/course-predictor.js';
import { analyzeCourseData } from '../../src/training/course/analyze.js';
import { comparedClassifiers } from '../../src/training/course/comparison-classification.js';
import { loadCourseDataset } from '../../src/features/course/course-dataset.js';
import { courseSplit } from '../../src/features/course/course-split.js';
import { type TrainCourseResult, trainCourseModels } from '../../src/training/course/train.js';
import { launchChromium } from '../helpers/chromium.js';
import { openReportPage } from '../helpers/report-page.js';

/**
 * The course report (`streamlens analyze courses`) end to end on the Udemy CSV, with a course model
 * trained here with the smallest settings (quick grids, 2 folds, three families): every section the
 * report promises is there, the figures of every classifier compared come from the training run
 * (or, for an older comparison, a refit that reproduces them), and the page opens in Chromium
 * without console errors.
 */
const root = mkdtempSync(join(tmpdir(), 'streamlens-course-report-'));
const out = join(root, 'report');
let trained: TrainCourseResult;
let report: Awaited<ReturnType<typeof analyzeCourseData>>;

beforeAll(async () => {
  trained = await trainCourseModels({ modelsRoot: join(root, 'models'), quick: true, folds: 2, algorithms: ['logistic-regression', 'naive-bayes', 'linear-regression'], log: () => undefined });
  report = await analyzeCourseData({ out, models: join(root, 'models') });
}, 600_000);
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('course training records precision, recall and a confusion matrix for every classifier compared', () => {
  it('each classifier result carries them, consistent with its held-out metrics', () => {
    const classifiers = trained.results.filter((r) => r.task !== 'subscribers');
    expect(classifiers.length).toBe(6);
    for (const r of classifiers) {
      const c = r.classification!;
      expect(c, `${r.task} ${r.algorithm}`).toBeDefined();
      const test = r.test as { n: number; accuracy: number; macroF1: number };
      expect(c.n).toBe(test.n);
      expect(c.accuracy).toBeCloseTo(test.accuracy, 12);
      expect(c.macro.f1).toBeCloseTo(test.macroF1, 12);
      expect(c.confusion.flat().reduce((a, b) => a + b, 0)).toBe(c.n);
      c.perClass.forEach((p, i) => {
        const row = c.confusion[i].reduce((a, b) => a + b, 0);
        const col = c.confusion.reduce((a, rr) => a + rr[i], 0);
        expect(p.support).toBe(row);
        expect(p.recall).toBeCloseTo(c.confusion[i][i] / row, 12);
        expect(p.precision).toBeCloseTo(col === 0 ? 0 : c.confusion[i][i] / col, 12);
      });
      if (r.task === 'popularity') expect(c.labels).toEqual(['not-popular', 'popular']);
      else expect(c.labels.length).toBe(4);
    }
    for (const r of trained.results.filter((x) => x.task === 'subscribers')) expect(r.classification).toBeUndefined();
  });

  it('a comparison written before they were recorded gets them by a refit that reproduces the run', () => {
    const predictor = loadCoursePredictor(undefined, { root: join(root, 'models') });
    const ds = loadCourseDataset(undefined, { referenceDate: predictor.referenceDate });
    const s = courseSplit(ds, 42, 0.2);
    const old = trained.results.map(({ classification: _dropped, ...r }) => r);
    const { classifiers, missing } = comparedClassifiers(old, predictor, { train: s.train.map((i) => ds.records[i]), test: s.test.map((i) => ds.records[i]), seed: 42 }, () => undefined);
    expect(missing).toEqual([]);
    expect(classifiers.length).toBe(6);
    for (const c of classifiers) {
      expect(c.source).toBe('refit');
      expect(c.reproduced).toBe(true);
      const recorded = trained.results.find((r) => r.task === c.result.task && r.includeReviews === c.result.includeReviews && r.algorithm === c.result.algorithm)!;
      expect(c.classification).toEqual(recorded.classification);
    }
    // without the training split there is nothing to refit on: listed as missing, never invented
    expect(comparedClassifiers(old, predictor, null).missing.length).toBe(6);
  });
});

describe('streamlens analyze courses report', () => {
  const SECTIONS = [
    'Feature statistics',
    'Feature statistics chart',
    'Outliers per feature (IQR rule and z-score rule)',
    'Outlier counts per feature',
    'Most extreme flagged courses per feature',
    'Subscribers against publication date',
    'Reviews against publication date',
    'Lectures against publication date',
    'Price against publication date',
    'Content duration against publication date',
    'Distribution of log1p(subscribers): paid vs free with its kernel density estimate',
    'Distribution of price with its kernel density estimate',
    'Distribution of log1p(lectures) with its kernel density estimate',
    'Distribution of log1p(content hours) with its kernel density estimate',
    'Courses published per month, with the seasonal baselines',
    'Subscribers per publication month, with the seasonal baselines',
    'Forecast baselines: error on the held-out last 12 months',
    'Precision and recall of every classifier compared (held-out 20 %)',
  ];

  it('has every section, and the numbers file and summary carry the outliers, densities and forecast errors', () => {
    const json = JSON.parse(readFileSync(report.jsonPath, 'utf8'));
    const titles: string[] = json.sections.map((s: { title?: string }) => s.title);
    for (const t of SECTIONS) expect(titles, t).toContain(t);
    const kinds = Object.fromEntries(json.sections.map((s: { title: string; kind: string }) => [s.title, s.kind]));
    expect(kinds['Feature statistics chart']).toBe('chart');
    expect(kinds['Forecast baselines: error on the held-out last 12 months']).toBe('table');
    for (const r of trained.results.filter((x) => x.task !== 'subscribers')) {
      expect(titles).toContain(`Confusion matrix: ${r.task}${r.includeReviews ? ' + num_reviews' : ''} / ${r.algorithm}`);
    }
    const pr = json.sections.find((s: { title: string }) => s.title === 'Precision and recall of every classifier compared (held-out 20 %)');
    expect(pr.rows.filter((r: unknown[]) => r[2] === 'macro avg').length).toBe(6);
    expect(pr.caption).toContain('recorded by the training run');

    const numbers = JSON.parse(readFileSync(report.numbersPath, 'utf8'));
    expect(numbers.outliers.map((o: { feature: string }) => o.feature)).toContain('num_subscribers');
    expect(numbers.densities.length).toBe(4);
    expect(numbers.timeSeries.forecastErrors).toEqual(report.forecast);
    expect(numbers.comparedClassifiers.length).toBe(6);
    for (const series of ['courses', 'subscribers'] as const) {
      for (const m of ['seasonal-naive', 'seasonal-mean']) {
        const e = report.forecast[series][m];
        expect(e.mae).toBeGreaterThan(0);
        expect(e.smape).toBeGreaterThan(0);
      }
    }
    const errTable = json.sections.find((s: { title: string }) => s.title === 'Forecast baselines: error on the held-out last 12 months');
    expect(errTable.rows.length).toBe(4);
    expect(errTable.rows[0][3]).toBeCloseTo(report.forecast.courses['seasonal-naive'].mae, 12);
  });

  it('opens in headless Chromium without console errors, every chart loaded', async () => {
    const browser = await launchChromium();
    try {
      const { page, problems } = await openReportPage(browser, report.htmlPath);
      expect(await page.title()).toBe('Udemy course catalogue: statistics and models');
      const images = await page.$$eval('img', (imgs) => imgs.map((i) => ({ alt: i.alt, ok: i.complete && i.naturalWidth > 0 })));
      const json = JSON.parse(readFileSync(report.jsonPath, 'utf8'));
      expect(images.length).toBe(json.sections.filter((s: { kind: string }) => s.kind === 'chart').length);
      expect(images.filter((i) => !i.ok)).toEqual([]);
      const headings = await page.$$eval('h2', (hs) => hs.map((h) => h.textContent));
      for (const t of SECTIONS) expect(headings).toContain(t);
      expect(problems).toEqual([]);
    } finally {
      await browser.close();
    }
  });
});
