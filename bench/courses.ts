/**
 * Course pipeline throughput, records per second on one core (single-threaded JS):
 *
 *   npx tsx bench/courses.ts          (or: npm run bench -- courses)
 *
 * Data: the shared Udemy CSV (2,942 rows), repeated BENCH_COURSE_REPEATS times (default 5).
 * Measured:
 *  - ingest: CSV streaming parse into course.raw messages (ingestCourseCsv, a producer that drops them);
 *  - validate + enrich: validation/cleaning (schema.ts: a fast path, zod for unusual or invalid
 *    records) + enrichment (the features:course stage's work);
 *  - score: the shipped model bundle (models/course, newest) on enriched records in batches of 64
 *    (subject + popularity + subscribers, with the top-5 explanation terms per output), and
 *    scoreWithoutExplanations: the same without them (`predict(records, { explain: false })`).
 *    Both modes run once untimed over 2,000 records (JIT warm-up), then in rounds of one repeat of
 *    the CSV each, both modes per round in alternating order (same load for both on a shared
 *    machine), times summed per mode;
 *  - end to end: validate + enrich + score (with explanations) per record;
 *  - explanationSpeedRatio: score / scoreWithoutExplanations (records per second), and the bytes
 *    of the precomputed explanation tables the model version holds (twice that during a hot reload).
 * Needs a shipped course model (`streamlens train course`).
 */
import { readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { parse as parseCsvSync } from 'csv-parse/sync';
import { requireDataPath } from '../src/core/paths.js';
import { type EnrichedCourse, enrichCourse } from '../src/features/course/enrich.js';
import { validateCourse } from '../src/features/course/schema.js';
import { ingestCourseCsv } from '../src/ingest/course-source.js';
import { loadCoursePredictor } from '../src/inference/course/course-predictor.js';
import { runIfExecutedDirectly } from './run-directly.js';

function rate(n: number, ms: number): number {
  return Math.round((n / ms) * 1000);
}

export async function run(): Promise<object> {
  const path = requireDataPath('udemy/udemy_courses.csv', 'Udemy courses CSV');
  const repeats = Number(process.env.BENCH_COURSE_REPEATS ?? 5);
  const text = readFileSync(path);
  const predictor = loadCoursePredictor();

  // ingest: streaming CSV -> course.raw messages
  let t = performance.now();
  let published = 0;
  for (let r = 0; r < repeats; r++) {
    const rep = await ingestCourseCsv(text, { producer: { send: async () => undefined }, streamId: 'bench' });
    published += rep.published;
  }
  const ingestMs = performance.now() - t;

  const rows = parseCsvSync(text, { columns: true, skip_empty_lines: true }) as Record<string, string>[];
  // validate + enrich
  const enriched: EnrichedCourse[] = [];
  t = performance.now();
  for (let r = 0; r < repeats; r++) {
    for (const raw of rows) {
      const v = validateCourse(raw);
      if (v.ok) enriched.push(enrichCourse(v.course, predictor.referenceDate));
    }
  }
  const enrichMs = performance.now() - t;

  // score in batches of 64, with explanations and without (bulk scoring: evaluation, the
  // recommender's popularity). Both modes first run once untimed over 2,000 records (JIT warm-up),
  // then in rounds: each round scores one repeat of the CSV in both modes, the order alternating
  // between rounds, so that both see the same load on a shared machine; times are summed per mode.
  const batch = 64;
  const warm = enriched.slice(0, 2000);
  for (const explain of [true, false]) for (let i = 0; i < warm.length; i += batch) predictor.predict(warm.slice(i, i + batch), { explain });
  const per = Math.ceil(enriched.length / repeats);
  let scoreMs = 0;
  let bareMs = 0;
  let scored = 0;
  let bare = 0;
  for (let round = 0; round < repeats; round++) {
    const part = enriched.slice(round * per, (round + 1) * per);
    for (const explain of round % 2 === 0 ? [true, false] : [false, true]) {
      t = performance.now();
      let n = 0;
      for (let i = 0; i < part.length; i += batch) n += predictor.predict(part.slice(i, i + batch), { explain }).length;
      const ms = performance.now() - t;
      if (explain) {
        scoreMs += ms;
        scored += n;
      } else {
        bareMs += ms;
        bare += n;
      }
    }
  }

  return {
    suite: 'courses',
    model: { name: 'course', version: predictor.version, shipped: (predictor.manifest.training as { shipped?: unknown }).shipped },
    records: rows.length * repeats,
    ingest: { records: published, seconds: ingestMs / 1000, recordsPerSecond: rate(published, ingestMs) },
    validateEnrich: { records: rows.length * repeats, seconds: enrichMs / 1000, recordsPerSecond: rate(rows.length * repeats, enrichMs) },
    score: { records: scored, batch, seconds: scoreMs / 1000, recordsPerSecond: rate(scored, scoreMs) },
    scoreWithoutExplanations: { records: bare, batch, seconds: bareMs / 1000, recordsPerSecond: rate(bare, bareMs) },
    explanationSpeedRatio: Math.round((rate(scored, scoreMs) / rate(bare, bareMs)) * 1000) / 1000,
    explanationTables: {
      bytes: predictor.explanationBytes,
      hotReloadBytes: 2 * predictor.explanationBytes,
      note: 'precomputed SHAP tables of this model version; a hot reload keeps the previous version loaded beside it',
    },
    endToEnd: { recordsPerSecond: rate(scored, enrichMs + scoreMs), note: 'validate + enrich + score, one core' },
    machine: { cpus: cpus().length, model: cpus()[0]?.model, loadavg: loadavg().map((v) => Math.round(v * 100) / 100) },
  };
}

runIfExecutedDirectly(import.meta.url, run);
