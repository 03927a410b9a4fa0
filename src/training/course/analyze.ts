import { existsSync, readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { barChart, boxPlotChart, confusionMatrixChart, correlationHeatmapChart, rocChart, scatterChart } from '../../analysis/charts.js';
import { confusionMatrix } from '../../analysis/confusion.js';
import { correlationMatrix } from '../../analysis/descriptive.js';
import { rocCurve, rocCurvesOvr } from '../../analysis/curves.js';
import { type ReportSection, writeReport } from '../../analysis/report.js';
import { type CoursePredictor, loadCoursePredictor } from '../../inference/course/course-predictor.js';
import { type CourseStatistics, courseStatistics } from './course-statistics.js';
import { type CourseDataset, loadCourseDataset } from '../../features/course/course-dataset.js';
import type { CandidateResult } from './train.js';
import { evaluationRecords, scoreCoursePredictions } from './commands.js';
import { courseOutliers } from './course-outliers.js';
import { courseHistograms } from './course-densities.js';
import { courseTimeSeries } from './course-time-series.js';
import { featureStatisticsChartSection, histogramSections, outlierSections, timeSeriesSections } from './exploration-sections.js';
import { comparedClassifiers } from './comparison-classification.js';
import { classifierSections } from './classifier-sections.js';
import { courseSplit } from '../../features/course/course-split.js';

/**
 * The course analysis report: feature statistics (table and chart), outliers (IQR and z rules),
 * distributions with kernel density estimates, relations to the publication year, correlations,
 * the monthly publication series with seasonal forecast baselines, hypothesis tests with effect
 * sizes and a reading of the error risks, and — when a shipped model exists — the model comparison,
 * precision / recall and a confusion matrix for every classifier compared, the shipped model's
 * confusion matrices, ROC curves and feature importances. Writes report.html (self-contained,
 * charts embedded), report.json and course-analysis.json (the numbers).
 */
export interface AnalyzeCourseDataOptions {
  data?: string;
  out: string;
  model?: string;
  models?: string;
}

function fmt(x: number): string {
  return Math.abs(x) < 1e-4 && x !== 0 ? x.toExponential(3) : x.toFixed(4);
}

/** Hold-out errors of the forecast baselines, per series and method (also in the CLI's summary). */
export type ForecastSummary = Record<'courses' | 'subscribers', Record<string, { mae: number; mape: number | null; smape: number }>>;

export async function analyzeCourseData(o: AnalyzeCourseDataOptions): Promise<{ htmlPath: string; jsonPath: string; numbersPath: string; forecast: ForecastSummary }> {
  let predictor: CoursePredictor | null = null;
  try {
    predictor = loadCoursePredictor(o.model, { root: o.models });
  } catch (e) {
    if (o.model) throw e;
  }
  const ds: CourseDataset = loadCourseDataset(o.data, predictor ? { referenceDate: predictor.referenceDate } : {});
  const records = ds.records.filter((r) => r.numSubscribers !== undefined && r.subject !== undefined);
  const stats: CourseStatistics = courseStatistics(records);
  const sections: ReportSection[] = [];
  const subjectOf = (r: (typeof records)[number]) => r.subject!;
  const logSubs = (r: (typeof records)[number]) => Math.log1p(r.numSubscribers!);
  const yearFrac = (r: (typeof records)[number]) => r.publishedYear + (Date.parse(r.publishedAt) - Date.UTC(r.publishedYear, 0, 1)) / (365.25 * 86_400_000);

  sections.push({
    kind: 'keyValue',
    title: 'Data',
    entries: { file: ds.path, records: ds.records.length, rejected: ds.rejected.length, 'duplicate course ids dropped': ds.duplicates.length, 'reference date': ds.referenceDate },
  });
  sections.push({
    kind: 'table',
    title: 'Feature statistics',
    caption: 'pandas definitions: variance and std with ddof = 1, skewness = Series.skew (adjusted Fisher-Pearson), kurtosis = Series.kurt (excess, bias-corrected); mode = smallest most frequent value.',
    columns: ['feature', 'n', 'mean', 'median', 'mode', 'variance', 'std', 'skewness', 'kurtosis'],
    rows: stats.features.map((f) => [f.feature, f.n, f.mean, f.median, f.mode, f.variance, f.std, f.skewness, f.kurtosis]),
  });
  const outliers = courseOutliers(records);
  sections.push(featureStatisticsChartSection(stats.features, outliers));
  sections.push(...outlierSections(outliers));
  // scatter plots against the publication date (fractional year, printed without a thousands separator)
  const byDate: [string, string, string, (r: (typeof records)[number]) => number, (r: (typeof records)[number]) => string][] = [
    ['Subscribers', 'log1p(subscribers)', 'log1p(num_subscribers)', logSubs, subjectOf],
    ['Reviews', 'log1p(reviews)', 'log1p(num_reviews)', (r) => Math.log1p(r.numReviews ?? 0), subjectOf],
    ['Lectures', 'log1p(lectures)', 'log1p(num_lectures)', (r) => Math.log1p(r.numLectures), subjectOf],
    ['Price', 'Price', 'price (USD)', (r) => r.price, (r) => (r.isFree ? 'free' : 'paid')],
    ['Content duration', 'log1p(content hours)', 'log1p(hours)', (r) => Math.log1p(r.contentDurationHours), subjectOf],
  ];
  for (const [what, chartTitle, yTitle, y, group] of byDate) {
    const spec = scatterChart(records.map((r) => ({ x: yearFrac(r), y: y(r), group: group(r) })), { title: `${chartTitle} by publication date`, xTitle: 'published (year)', yTitle, width: 640 });
    (spec as { encoding: { x: { axis?: object } } }).encoding.x.axis = { format: '.10~g' };
    sections.push({ kind: 'chart', title: `${what} against publication date`, format: 'png', spec });
  }
  const histograms = courseHistograms(records);
  sections.push(...histogramSections(histograms));
  const bySubject: Record<string, number[]> = {};
  for (const r of records) (bySubject[subjectOf(r)] ??= []).push(logSubs(r));
  sections.push({ kind: 'chart', title: 'Subscribers by subject', spec: boxPlotChart(bySubject, { title: 'log1p(subscribers) by subject', xTitle: 'subject', yTitle: 'log1p(num_subscribers)' }) });
  const byLevel: Record<string, number[]> = {};
  for (const r of records) (byLevel[r.level] ??= []).push(logSubs(r));
  sections.push({ kind: 'chart', title: 'Subscribers by level', spec: boxPlotChart(byLevel, { title: 'log1p(subscribers) by level', xTitle: 'level', yTitle: 'log1p(num_subscribers)' }) });
  const byPrice: Record<string, number[]> = {};
  for (const r of records) (byPrice[subjectOf(r)] ??= []).push(r.price);
  sections.push({ kind: 'chart', title: 'Price by subject', spec: boxPlotChart(byPrice, { title: 'Price by subject', xTitle: 'subject', yTitle: 'price (USD)' }) });
  const corr = correlationMatrix({
    price: records.map((r) => r.price),
    log_subscribers: records.map(logSubs),
    log_reviews: records.map((r) => Math.log1p(r.numReviews ?? 0)),
    log_lectures: records.map((r) => Math.log1p(r.numLectures)),
    log_hours: records.map((r) => Math.log1p(r.contentDurationHours)),
    year: records.map(yearFrac),
    title_length: records.map((r) => r.titleLength),
    is_free: records.map((r) => (r.isFree ? 1 : 0)),
  });
  sections.push({ kind: 'chart', title: 'Correlations (Pearson)', spec: correlationHeatmapChart(corr, { title: 'Pearson correlation of course features' }) });
  const timeSeries = courseTimeSeries(records);
  sections.push(...timeSeriesSections(timeSeries));
  const forecast = Object.fromEntries(
    (['courses', 'subscribers'] as const).map((k) => [k, Object.fromEntries(timeSeries.forecasts[k].map((f) => [f.method, { mae: f.errors.mae, mape: Number.isFinite(f.errors.mape) ? f.errors.mape : null, smape: f.errors.smape }]))]),
  ) as ForecastSummary;

  const t = stats.tests;
  const testRows = [t.tTestWelch, t.tTestStudent, t.anova, t.chiSquare].map((r) => [
    r.name,
    r.statistic,
    Array.isArray(r.df) ? r.df.join(', ') : (r.df ?? null),
    r.pValue,
    `${r.effectSize.name} = ${fmt(r.effectSize.value)}`,
    r.power,
  ]);
  sections.push({
    kind: 'table',
    title: 'Statistical tests (alpha = 0.05)',
    caption: `paid n = ${stats.groups.paid}, free n = ${stats.groups.free}; subjects: ${Object.entries(stats.groups.subjects).map(([k, v]) => `${k} ${v}`).join(', ')}. Power: normal approximation at the observed effect size.`,
    columns: ['test', 'statistic', 'df', 'p-value', 'effect size', 'power'],
    rows: testRows,
  });
  sections.push({
    kind: 'table',
    title: 'Level by subject (contingency table of the chi-square test)',
    columns: ['level', ...t.chiSquare.columns],
    rows: t.chiSquare.rows.map((l, i) => [l, ...t.chiSquare.table[i]]),
  });
  sections.push({ kind: 'text', title: 'Reading the tests: Type I and Type II error risk', text: [t.tTestWelch, t.anova, t.chiSquare].map((r) => r.reading).join('\n\n') });

  const numbers: Record<string, unknown> = {
    dataset: { path: ds.path, records: ds.records.length, rejected: ds.rejected.length, duplicates: ds.duplicates.length, referenceDate: ds.referenceDate },
    statistics: stats,
    outliers,
    densities: histograms.map((h) => ({ name: h.name, densities: h.densities })),
    correlation: corr,
    timeSeries: { ...timeSeries, forecastErrors: forecast },
  };

  if (!predictor) {
    sections.push({ kind: 'text', title: 'Models', text: 'No shipped course model was found (train one with `streamlens train course`); the model sections are left out.' });
  } else {
    const resolvedComparison = predictor.manifest.files.report && existsSync(join(predictor.dir, predictor.manifest.files.report)) ? join(predictor.dir, predictor.manifest.files.report) : null;
    const comparison = resolvedComparison ? (JSON.parse(readFileSync(resolvedComparison, 'utf8')) as { results: CandidateResult[] }) : null;
    if (comparison) {
      const metricCols = (r: CandidateResult) => {
        const m = r.test as unknown as Record<string, number>;
        return [m.accuracy ?? null, m.macroF1 ?? null, m.auc ?? null, m.f1 ?? null, m.r2 ?? null, m.rmse ?? null, m.mae ?? null];
      };
      sections.push({
        kind: 'table',
        title: 'Model comparison (CV on the training part; metrics on the held-out 20 %)',
        caption: 'Popularity and subscriber models are shown with and without num_reviews: reviews come from subscribers and leak the target, so the shipped models do not use them.',
        columns: ['task', 'model', 'params', 'CV metric', 'CV mean', 'CV std', 'accuracy', 'macro F1', 'ROC AUC', 'F1 (popular)', 'R²', 'RMSE', 'MAE'],
        rows: comparison.results.map((r) => [r.task + (r.includeReviews ? ' + num_reviews' : ''), r.algorithm, JSON.stringify(r.params), r.cvMetric, r.cvScore, r.cvStd, ...metricCols(r)]),
      });
      for (const [task, metric] of [['subject', 'accuracy'], ['popularity', 'auc'], ['subscribers', 'r2']] as const) {
        const rows = comparison.results.filter((r) => r.task === task);
        sections.push({
          kind: 'chart',
          title: `Model comparison: ${task}`,
          spec: barChart(
            rows.map((r) => ({ label: r.algorithm, value: (r.test as unknown as Record<string, number>)[metric], group: r.includeReviews ? 'with num_reviews' : 'without num_reviews' })),
            { title: `${task}: held-out ${metric}`, yTitle: metric },
          ),
        });
      }
      for (const r of comparison.results.filter((x) => !x.includeReviews || x.task === 'subject')) {
        if (r.importance.length === 0) continue;
        sections.push({
          kind: 'chart',
          title: `Permutation importance: ${r.task} / ${r.algorithm}`,
          spec: barChart(
            r.importance.slice(0, 15).map((i) => ({ label: i.feature, value: i.mean, interval: [i.mean - i.std, i.mean + i.std] as [number, number] })),
            { title: `${r.task} / ${r.algorithm}: drop of ${r.cvMetric} when permuted`, horizontal: true, yTitle: `drop of ${r.cvMetric}` },
          ),
        });
      }
      numbers.comparison = comparison.results;
    }
    // shipped models on the held-out split (through the served predictor)
    const { ds: evalDs, records: evalRecs, split } = evaluationRecords(predictor, ds.path);
    if (comparison) {
      const training = predictor.manifest.training as { split?: { seed: number; testSize: number } };
      const parts = split === 'test' && training.split ? courseSplit(evalDs, training.split.seed, training.split.testSize) : null;
      const compared = comparedClassifiers(
        comparison.results,
        predictor,
        parts && training.split ? { train: parts.train.map((i) => evalDs.records[i]), test: parts.test.map((i) => evalDs.records[i]), seed: training.split.seed } : null,
      );
      sections.push(...classifierSections(compared.classifiers, compared.missing));
      numbers.comparedClassifiers = compared.classifiers.map((c) => ({ task: c.result.task, includeReviews: c.result.includeReviews, algorithm: c.result.algorithm, source: c.source, reproduced: c.reproduced, ...c.classification }));
    }
    const preds = predictor.predict(evalRecs);
    const evaluation = scoreCoursePredictions(evalRecs, preds);
    numbers.evaluation = { model: predictor.version, split, ...evaluation };
    sections.push({
      kind: 'keyValue',
      title: `Shipped model course/${predictor.version} on the ${split === 'test' ? 'held-out test split' : 'whole file'}`,
      entries: {
        n: evaluation.n,
        'subject accuracy': evaluation.subject.accuracy,
        'subject macro F1': evaluation.subject.macroF1,
        'popularity ROC AUC': evaluation.popularity.auc,
        'popularity accuracy': evaluation.popularity.accuracy,
        'popularity F1': evaluation.popularity.f1,
        'subscribers R² (log1p)': evaluation.subscribers.r2,
        'subscribers RMSE (log1p)': evaluation.subscribers.rmse,
      },
    });
    const labelled = evalRecs.map((r, i) => ({ r, p: preds[i] }));
    const cmSubject = confusionMatrix(labelled.map(({ r }) => r.subject!), labelled.map(({ p }) => p.subject.label));
    sections.push({ kind: 'chart', title: 'Confusion matrix: subject', spec: confusionMatrixChart(cmSubject, { title: `Subject (${predictor.manifest.training && (predictor.manifest.training as { shipped?: { subject?: { algorithm: string } } }).shipped?.subject?.algorithm})`, normalize: 'true' }) });
    const thr = evaluation.popularity.threshold;
    const popTrue = labelled.map(({ r }) => (r.numSubscribers! >= thr ? 'popular' : 'not popular'));
    const cmPop = confusionMatrix(popTrue, labelled.map(({ p }) => (p.popularity.popular ? 'popular' : 'not popular')));
    sections.push({ kind: 'chart', title: 'Confusion matrix: popularity', spec: confusionMatrixChart(cmPop, { title: `Popularity (top quartile, >= ${thr} subscribers)`, normalize: 'true' }) });
    const roc = rocCurve(popTrue.map((v) => (v === 'popular' ? 1 : 0)), labelled.map(({ p }) => p.popularity.probability), { positiveLabel: 1 });
    const ovr = rocCurvesOvr(labelled.map(({ r }) => r.subject!), labelled.map(({ p }) => Object.values(p.subject.scores)), Object.keys(labelled[0].p.subject.scores));
    sections.push({
      kind: 'chart',
      title: 'ROC curves',
      spec: rocChart(
        [{ name: 'popularity', fpr: roc.fpr, tpr: roc.tpr, auc: evaluation.popularity.auc }, ...ovr.perClass.map((c) => ({ name: `subject: ${c.label}`, fpr: c.fpr, tpr: c.tpr, auc: c.auc }))],
        { title: 'ROC: popularity and subject (one vs rest)' },
      ),
    });
    numbers.confusion = { subject: cmSubject, popularity: cmPop };
    numbers.roc = { popularity: roc, subject: ovr.perClass.map((c) => ({ label: c.label, auc: c.auc })) };
  }

  const { htmlPath, jsonPath } = await writeReport(o.out, { title: 'Udemy course catalogue: statistics and models', sections });
  await mkdir(o.out, { recursive: true });
  const numbersPath = join(o.out, 'course-analysis.json');
  await writeFile(numbersPath, JSON.stringify(numbers, null, 1) + '\n');
  return { htmlPath, jsonPath, numbersPath, forecast };
}

export interface AnalyzeCoursesOptions {
  data?: string;
  /** Output folder for report.html, report.json and the charts. */
  out: string;
  model?: string;
  models?: string;
  /** Where the JSON summary goes (tests); the CLI prints the returned value itself. */
  write?: (line: string) => void;
}

/** `streamlens analyze courses --out DIR`: HTML report + JSON of the same numbers; returns the paths (printed by the CLI). */
export async function analyzeCourses(o: AnalyzeCoursesOptions): Promise<Awaited<ReturnType<typeof analyzeCourseData>>> {
  const r = await analyzeCourseData(o);
  o.write?.(JSON.stringify(r));
  return r;
}
