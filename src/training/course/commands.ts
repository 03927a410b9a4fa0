import { existsSync, readFileSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { parse as parseCsvSync } from 'csv-parse/sync';
import { accuracy, classificationReport, macroF1 } from '../../analysis/classification.js';
import { rocAucBinary } from '../../analysis/curves.js';
import { meanAbsoluteError, r2Score, rootMeanSquaredError } from '../../analysis/regression.js';
import { enrichCourse, type EnrichedCourse } from '../../features/course/enrich.js';
import { validateCourse } from '../../features/course/schema.js';
import { type CoursePrediction, type CoursePredictor, loadCoursePredictor } from '../../inference/course/course-predictor.js';
import { sha256File } from '../../models/model-repository.js';
import { type CourseDataset, defaultCourseDataPath, loadCourseDataset } from '../../features/course/course-dataset.js';
import { courseSplit } from '../../features/course/course-split.js';
import { trainCourseModels } from './train.js';
import { jsonErrorSummary } from '../../core/redact.js';

/**
 * CLI commands of the course area (wired into commander by src/cli.ts). Each takes a typed
 * options object and writes JSON to stdout (`write` overrides, for tests).
 */
type Write = (line: string) => void;
const stdout: Write = (line) => process.stdout.write(line + '\n');

export interface TrainCourseCommandOptions {
  data?: string;
  /** Model repository root (default models/). */
  out?: string;
  seed?: number;
  folds?: number;
  quick?: boolean;
  referenceDate?: string;
  /** Split export for bench/sklearn_courses.py (default bench/course-split.json). */
  splitFile?: string;
  write?: Write;
}

/** `streamlens train course`: trains, compares, ships models/course/<version>; returns the summary (printed by the CLI). */
export async function trainCourseCommand(o: TrainCourseCommandOptions = {}): Promise<object> {
  const r = await trainCourseModels({
    data: o.data,
    modelsRoot: o.out,
    seed: o.seed,
    folds: o.folds,
    quick: o.quick,
    referenceDate: o.referenceDate,
    splitFile: o.splitFile ?? resolve('bench/course-split.json'),
  });
  const summary = {
    model: { name: 'course', version: r.version.manifest.version, dir: r.version.dir },
    dataset: r.dataset,
    shipped: Object.fromEntries(Object.entries(r.shipped).map(([k, v]) => [k, { algorithm: v.algorithm, params: v.params, test: v.test }])),
    comparison: r.results.map((c) => ({
      task: c.task + (c.includeReviews ? '+reviews' : ''),
      algorithm: c.algorithm,
      cv: { [c.cvMetric]: c.cvScore, std: c.cvStd },
      test: c.test,
      ...(c.classification ? { macroPrecision: c.classification.macro.precision, macroRecall: c.classification.macro.recall, confusion: { labels: c.classification.labels, counts: c.classification.confusion } } : {}),
    })),
  };
  o.write?.(JSON.stringify(summary));
  return summary;
}

export interface EvalCourseOptions {
  /** CSV path (default: the shared Udemy CSV, evaluated on the model's held-out test split). */
  data?: string;
  /** Model version number or version folder (default: the highest version). */
  model?: string;
  /** Model repository root. */
  models?: string;
  /** 'all' (default) or only the records the model was not trained on ('test' is an alias of 'unseen'). */
  subset?: 'all' | 'unseen' | 'test';
  write?: Write;
}

export interface CourseEvaluation {
  model: { name: string; version: string };
  data: string;
  subset: 'all' | 'unseen';
  /** Valid records in the data. */
  items: number;
  /** Of those, records in the model's training split (by course_id); null when the manifest does not say. */
  seenItems: number | null;
  warnings: string[];
  n: number;
  subject: { accuracy: number; macroF1: number };
  popularity: { auc: number; accuracy: number; f1: number; threshold: number };
  subscribers: { r2: number; rmse: number; mae: number; target: 'log1p' };
}

/** Held-out records of the shipped model when `data` is the training CSV, else every record. */
export function evaluationRecords(predictor: CoursePredictor, data?: string): { ds: CourseDataset; records: EnrichedCourse[]; split: 'test' | 'all' } {
  const path = data ?? defaultCourseDataPath();
  const ds = loadCourseDataset(path, { referenceDate: predictor.referenceDate });
  const training = predictor.manifest.training as { data?: string; dataSha256?: string; split?: { seed: number; testSize: number } };
  const sameData = training.dataSha256 ? training.dataSha256 === sha256File(path) : training.data !== undefined && resolve(training.data) === resolve(path);
  if (sameData && training.split) {
    const s = courseSplit(ds, training.split.seed, training.split.testSize);
    return { ds, records: s.test.map((i) => ds.records[i]), split: 'test' };
  }
  return { ds, records: ds.records, split: 'all' };
}

/** Scores predictions against the labelled records (through the served predictor path). */
export function scoreCoursePredictions(records: readonly EnrichedCourse[], preds: readonly CoursePrediction[]): Omit<CourseEvaluation, 'model' | 'data' | 'subset' | 'items' | 'seenItems' | 'warnings'> {
  const labelled = records.map((r, i) => ({ r, p: preds[i] })).filter(({ r }) => r.subject !== undefined && r.numSubscribers !== undefined);
  if (labelled.length === 0) throw new Error('no labelled records (subject and num_subscribers) to evaluate');
  const threshold = labelled[0].p.popularity.threshold;
  const subjTrue = labelled.map(({ r }) => r.subject!);
  const subjPred = labelled.map(({ p }) => p.subject.label);
  const popTrue = labelled.map(({ r }) => (r.numSubscribers! >= threshold ? 1 : 0));
  const popPred = labelled.map(({ p }) => (p.popularity.popular ? 1 : 0));
  const subsTrue = labelled.map(({ r }) => Math.log1p(r.numSubscribers!));
  const subsPred = labelled.map(({ p }) => p.subscribers.log1p);
  return {
    n: labelled.length,
    subject: { accuracy: accuracy(subjTrue, subjPred), macroF1: macroF1(subjTrue, subjPred) },
    popularity: {
      auc: rocAucBinary(popTrue, labelled.map(({ p }) => p.popularity.probability), 1),
      accuracy: accuracy(popTrue, popPred),
      f1: classificationReport(popTrue, popPred).perClass.find((c) => c.label === 1)?.f1 ?? 0,
      threshold,
    },
    subscribers: { r2: r2Score(subsTrue, subsPred), rmse: rootMeanSquaredError(subsTrue, subsPred), mae: meanAbsoluteError(subsTrue, subsPred), target: 'log1p' },
  };
}

/**
 * Course ids the model was trained on: the training part of the split its manifest records, re-made
 * on its training CSV (`training.data`, recognised by `training.dataSha256`). Undefined when the
 * manifest does not record them or the CSV is gone or changed.
 */
export function courseTrainingIds(predictor: CoursePredictor, loaded?: CourseDataset): Set<string> | undefined {
  const training = predictor.manifest.training as { data?: string; dataSha256?: string; split?: { seed: number; testSize: number } };
  if (!training.split || typeof training.data !== 'string' || !existsSync(training.data)) return undefined;
  if (training.dataSha256 && training.dataSha256 !== sha256File(training.data)) return undefined;
  const ds = loaded && resolve(loaded.path) === resolve(training.data) ? loaded : loadCourseDataset(training.data, { referenceDate: predictor.referenceDate });
  const s = courseSplit(ds, training.split.seed, training.split.testSize);
  return new Set(s.train.map((i) => ds.records[i].courseId));
}

/** `streamlens eval course`: one JSON object with the shipped model's metrics. */
export async function evalCourse(o: EvalCourseOptions = {}): Promise<CourseEvaluation> {
  const predictor = loadCoursePredictor(o.model, { root: o.models });
  const model = `course v${predictor.version}`;
  const path = o.data ?? defaultCourseDataPath();
  const ds = loadCourseDataset(path, { referenceDate: predictor.referenceDate });
  const subset = o.subset === 'unseen' || o.subset === 'test' ? 'unseen' : 'all';
  const trainIds = courseTrainingIds(predictor, ds);
  const warnings: string[] = [];
  let records = ds.records;
  let seenItems: number | null = null;
  if (trainIds) {
    const seen = records.filter((r) => trainIds.has(r.courseId));
    seenItems = seen.length;
    if (subset === 'unseen') {
      records = records.filter((r) => !trainIds.has(r.courseId));
      if (records.length === 0) throw new Error(`--subset unseen: all ${ds.records.length} courses in ${ds.path} were in the training split of model ${model}; give other courses`);
    } else if (seenItems > 0) {
      warnings.push(
        `${seenItems} of the ${ds.records.length} courses in ${ds.path} were in the training split of model ${model}: these figures overstate accuracy on new courses` +
          (seenItems < ds.records.length ? `; --subset unseen evaluates only the other ${ds.records.length - seenItems}` : ''),
      );
    }
  } else {
    warnings.push(`model ${model} does not record which courses it was trained on (or its training CSV is gone or changed): seenItems is unknown`);
    if (subset === 'unseen') throw new Error(`--subset unseen: model ${model} does not record which courses it was trained on; evaluate with --subset all`);
  }
  const preds = predictor.predict(records, { explain: false });
  const result: CourseEvaluation = {
    model: { name: 'course', version: predictor.version },
    data: ds.path,
    subset,
    items: ds.records.length,
    seenItems,
    warnings,
    ...scoreCoursePredictions(records, preds),
  };
  (o.write ?? stdout)(JSON.stringify(result));
  return result;
}

export interface ClassifyCourseOptions {
  /** CSV (with header) or JSON lines (.jsonl/.ndjson, or content starting with "{"). */
  file: string;
  model?: string;
  models?: string;
  /** Explanation terms per output (default 5). */
  topTerms?: number;
  write?: Write;
}

/** `streamlens classify course --file F`: one JSON line per record (prediction, or the error naming the field). */
export async function classifyCourse(o: ClassifyCourseOptions): Promise<{ records: number; errors: number }> {
  const write = o.write ?? stdout;
  // the input is read (and refused) before the model is loaded
  if (existsSync(o.file) && statSync(o.file).isDirectory()) throw new Error(`${o.file}: is a folder; give a CSV or JSON lines file of course records`);
  const text = readFileSync(o.file, 'utf8');
  const jsonl = /\.(jsonl|ndjson)$/i.test(o.file) || text.trimStart().startsWith('{');
  const raws: { index: number; raw: unknown; error?: string }[] = [];
  if (jsonl) {
    text.split('\n').forEach((line, i) => {
      if (line.trim() === '') return;
      try {
        raws.push({ index: i + 1, raw: JSON.parse(line) });
      } catch (e) {
        raws.push({ index: i + 1, raw: null, error: `line ${i + 1}: invalid JSON (${jsonErrorSummary(e)})` });
      }
    });
  } else {
    if (text.trim() === '') throw new Error(`${o.file} is empty`);
    let rows: Record<string, string>[];
    try {
      rows = parseCsvSync(text, { columns: (h: string[]) => h.map((c) => c.trim().toLowerCase()), skip_empty_lines: true }) as Record<string, string>[];
    } catch (e) {
      const reason = (e as Error).message.split(/, value is |\n/)[0].slice(0, 200);
      throw new Error(`${o.file}: not a readable course CSV (${reason}); give a CSV with a header row and one course per row, or JSON lines`);
    }
    rows.forEach((raw, i) => raws.push({ index: i + 1, raw }));
  }
  if (raws.length === 0) throw new Error(`${o.file}: no course records; give a CSV with a header row and one course per row, or JSON lines`);
  const predictor = loadCoursePredictor(o.model, { root: o.models, topTerms: o.topTerms });
  let errors = 0;
  const batch: { index: number; record: EnrichedCourse }[] = [];
  const flush = () => {
    const preds = predictor.predict(batch.map((b) => b.record));
    preds.forEach((p, i) => write(JSON.stringify({ record: batch[i].index, ...p })));
    batch.length = 0;
  };
  for (const r of raws) {
    if (r.error) {
      errors++;
      write(JSON.stringify({ record: r.index, error: r.error }));
      continue;
    }
    const v = validateCourse(r.raw);
    if (!v.ok) {
      errors++;
      write(JSON.stringify({ record: r.index, error: v.message, field: v.field }));
      continue;
    }
    batch.push({ index: r.index, record: enrichCourse(v.course, predictor.referenceDate) });
    if (batch.length >= 256) flush();
  }
  if (batch.length) flush();
  return { records: raws.length, errors };
}
