/**
 * Course recommender: offline ranking quality and latency.
 *
 *   npx tsx bench/recommend.ts
 *
 * (a) Offline check without user logs (src/recommend/offline-eval.ts): 20% of the real courses
 *     held out (seeded); each held-out title is the query against the other 80%; relevant = same
 *     subject AND level. Precision@10 and nDCG@10 of the blended ranking (text + subject affinity
 *     + level affinity + popularity; weights tuned on a grid over a validation part of the
 *     training catalogue; non-text weights only when their validation gain over text-only is
 *     significant), a text-only (BM25) and a popularity-only baseline, paired t-tests of per-query
 *     nDCG, and the blend at the serving weights. Repeated over four more seeds to show the spread.
 * (b) Latency at 10,000 courses: the real 2,938 plus synthetic ones (seeded) whose titles recombine
 *     real title words of the same subject, built through the real validation + enrichment code.
 *     p50/p99 of recommend() (validation, BM25 over the inverted index, naive Bayes affinities,
 *     blend, filters, reasons), and in the same run a brute-force baseline that scores every
 *     course's tokens with the same BM25 formula, blends them with the same affinities (taken from
 *     the recommender's subjectAffinity/levelAffinity) and popularity, and sorts them all. Both
 *     return the same top 10 (checked).
 */
import { cpus, loadavg } from 'node:os';
import { SeededRandom } from '../src/core/random.js';
import { quantile } from '../src/analysis/descriptive.js';
import { type EnrichedCourse, enrichCourse } from '../src/features/course/enrich.js';
import { parseCourse } from '../src/features/course/schema.js';
import { tokenize } from '../src/features/course/tfidf.js';
import { loadCourseDataset } from '../src/features/course/course-dataset.js';
import { DEFAULT_BM25 } from '../src/recommend/bm25-index.js';
import { resolvePopularityScorer } from '../src/recommend/model-popularity.js';
import { evaluateOffline } from '../src/recommend/offline-eval.js';
import type { PopularityScorer } from '../src/recommend/popularity.js';
import type { RecommendationQuery } from '../src/recommend/query.js';
import { type BlendWeights, CourseRecommender, DEFAULT_BLEND_WEIGHTS } from '../src/recommend/recommender.js';
import { runIfExecutedDirectly } from './run-directly.js';

const CATALOGUE_SIZE = 10_000;
const QUERIES = 2_000;
const BRUTE_FORCE_QUERIES = 300;
const REPEATS = 3;

/** Synthetic courses: attributes of a random real course, title words drawn from real titles of its subject. */
export function syntheticCourses(real: readonly EnrichedCourse[], count: number, seed: number, referenceDate: string): EnrichedCourse[] {
  const rng = new SeededRandom(seed);
  const wordsBySubject = new Map<string, string[]>();
  for (const c of real) {
    const words = c.title.split(/\s+/).filter((w) => /[\p{L}\p{N}]/u.test(w));
    const list = wordsBySubject.get(c.subject ?? '') ?? [];
    list.push(...words);
    wordsBySubject.set(c.subject ?? '', list);
  }
  const out: EnrichedCourse[] = [];
  for (let i = 0; i < count; i++) {
    const t = rng.choice(real);
    const words = wordsBySubject.get(t.subject ?? '')!;
    const n = Math.max(2, t.titleWordCount + rng.int(3) - 1);
    const title = Array.from({ length: n }, () => rng.choice(words)).join(' ');
    const raw = {
      course_id: `synthetic-${i}`,
      course_title: title.slice(0, 500),
      is_paid: String(!t.isFree),
      price: String(t.isFree ? 0 : rng.choice(real).price || t.price),
      num_subscribers: String(rng.choice(real).numSubscribers ?? 0),
      num_reviews: String(t.numReviews ?? 0),
      num_lectures: String(t.numLectures),
      level: t.level,
      content_duration: String(t.contentDurationHours),
      published_timestamp: t.publishedAt,
      subject: t.subject ?? '',
    };
    out.push(enrichCourse(parseCourse(raw), referenceDate));
  }
  return out;
}

/**
 * The baseline: no index; every course's tokens scanned, scored with the same BM25 + blend, all
 * sorted. Subject/level affinities come from the recommender (one posterior per query, as there).
 */
class BruteForceRanker {
  private readonly df = new Map<string, number>();
  private readonly avgLength: number;
  private popularity: number[] = [];
  private readonly popularOrder: number[] = [];
  constructor(
    private readonly courses: readonly EnrichedCourse[],
    private readonly weights: BlendWeights,
    private readonly affinity: CourseRecommender,
  ) {
    let total = 0;
    for (const c of courses) {
      total += c.titleTokens.length;
      for (const t of new Set(c.titleTokens)) this.df.set(t, (this.df.get(t) ?? 0) + 1);
    }
    this.avgLength = total / courses.length;
  }

  async init(scorer: PopularityScorer): Promise<this> {
    const raw = await scorer.score(this.courses);
    const max = raw.reduce((m, x) => Math.max(m, x), 0);
    this.popularity = scorer.normaliseByMax ? raw.map((p) => (max > 0 ? p / max : 0)) : raw;
    this.popularOrder.push(...this.courses.map((_, i) => i).sort((a, b) => this.popularity[b] - this.popularity[a] || a - b));
    return this;
  }

  rank(q: RecommendationQuery): string[] {
    const terms = [...new Set(tokenize(q.query))];
    const idf = terms.map((t) => {
      const df = this.df.get(t) ?? 0;
      return Math.log(1 + (this.courses.length - df + 0.5) / (df + 0.5));
    });
    const { k1, b } = DEFAULT_BM25;
    const passes = (c: EnrichedCourse): boolean =>
      (q.subject === undefined || c.subject === q.subject) &&
      (q.level === undefined || c.level === q.level) &&
      (q.free === undefined || c.isFree === q.free) &&
      (q.maxPrice === undefined || (c.isFree ? 0 : c.price) <= q.maxPrice) &&
      (q.maxHours === undefined || c.contentDurationHours <= q.maxHours);
    const scored: { i: number; bm25: number }[] = [];
    let anyMatch = false;
    this.courses.forEach((c, i) => {
      if (!anyMatch && c.titleTokens.some((u) => terms.includes(u))) anyMatch = true;
      if (!passes(c)) return;
      let s = 0;
      terms.forEach((t, j) => {
        let tf = 0;
        for (const u of c.titleTokens) if (u === t) tf++;
        if (tf > 0) s += (idf[j] * tf * (k1 + 1)) / (tf + k1 * (1 - b + (b * c.titleTokens.length) / this.avgLength));
      });
      if (s > 0) scored.push({ i, bm25: s });
    });
    const subjectP = new Map(this.affinity.subjectAffinity(q.query).map((x) => [x.subject, x.probability]));
    const levelP = new Map(this.affinity.levelAffinity(q.query).map((x) => [x.level, x.probability]));
    // fill-up: too few text matches (but some) -> the most popular courses of the most probable subject
    const fillSubject = q.subject ?? this.affinity.subjectAffinity(q.query)[0]?.subject;
    if (this.weights.subject > 0 && anyMatch && scored.length < q.limit && fillSubject !== undefined) {
      const matched = new Set(scored.map((x) => x.i));
      for (const i of this.popularOrder) {
        if (scored.length >= q.limit) break;
        if (this.courses[i].subject === fillSubject && !matched.has(i) && passes(this.courses[i])) scored.push({ i, bm25: 0 });
      }
    }
    const best = Math.max(0, ...scored.map((x) => x.bm25));
    const w = this.weights;
    const wText = 1 - w.popularity - w.subject - w.level;
    const final = scored.map((x) => {
      const c = this.courses[x.i];
      const text = best > 0 ? x.bm25 / best : 0;
      const score = wText * text + w.subject * (c.subject === undefined ? 0 : (subjectP.get(c.subject) ?? 0)) + w.level * (levelP.get(c.level) ?? 0) + w.popularity * this.popularity[x.i];
      return { i: x.i, score };
    });
    final.sort((a, b) => b.score - a.score || a.i - b.i);
    return final.slice(0, q.limit).map((x) => this.courses[x.i].courseId);
  }
}

function percentiles(ms: number[]): { p50: number; p99: number; mean: number } {
  const r = (x: number) => Math.round(x * 1000) / 1000;
  return { p50: r(quantile(ms, 0.5)), p99: r(quantile(ms, 0.99)), mean: r(ms.reduce((a, b) => a + b, 0) / ms.length) };
}

function benchQueries(real: readonly EnrichedCourse[], subjects: string[], seed: number): Record<string, unknown>[] {
  const rng = new SeededRandom(seed);
  const fixed = ['python web development', 'guitar for beginners', 'financial modeling excel', 'photoshop logo design', 'javascript'];
  return Array.from({ length: QUERIES }, (_, i) => {
    const words = rng.choice(real).title.split(/\s+/);
    const start = rng.int(Math.max(1, words.length - 2));
    const query = i < fixed.length ? fixed[i] : words.slice(start, start + 2 + rng.int(4)).join(' ');
    const q: Record<string, unknown> = { query: tokenize(query).length > 0 ? query : 'course', limit: 10 };
    if (rng.next() < 0.3) q.subject = rng.choice(subjects);
    if (rng.next() < 0.2) q.maxPrice = rng.choice([0, 20, 50, 100, 200]);
    if (rng.next() < 0.2) q.maxHours = rng.choice([1, 3, 10, 40]);
    return q;
  });
}

const round = (x: number) => Math.round(x * 10000) / 10000;
type GridPoint = { weights: BlendWeights; ndcgAtK: number; precisionAtK: number };
const gridPoint = (g: GridPoint) => ({ ...g.weights, ndcgAt10: round(g.ndcgAtK), precisionAt10: round(g.precisionAtK) });
const bestOf = (grid: GridPoint[]): GridPoint => grid.reduce((b, g) => (g.ndcgAtK > b.ndcgAtK + 1e-12 ? g : b), grid[0]);
const paired = (c: { meanDifference: number; pValue: number; test: string }) => ({ meanNdcgDifference: round(c.meanDifference), pValue: Number(c.pValue.toPrecision(3)), test: c.test });

export async function run(): Promise<object> {
  const dataset = loadCourseDataset();
  const popularity = await resolvePopularityScorer();

  // (a) ranking quality
  const started = performance.now();
  const offline = await evaluateOffline(dataset.records, { seed: 42, popularity, extraWeights: DEFAULT_BLEND_WEIGHTS });
  const seeds = [];
  for (const seed of [1, 2, 3, 4]) {
    const r = await evaluateOffline(dataset.records, { seed, popularity, extraWeights: DEFAULT_BLEND_WEIGHTS });
    seeds.push({
      seed,
      bestWeights: r.tuning.bestWeights,
      chosenWeights: r.tuning.chosenWeights,
      ndcgAt10: { blended: round(r.blended.ndcgAtK), text: round(r.text.ndcgAtK), popularity: round(r.popularity.ndcgAtK), servingWeights: round(r.extra!.scores.ndcgAtK) },
      precisionAt10: { blended: round(r.blended.precisionAtK), text: round(r.text.precisionAtK), popularity: round(r.popularity.precisionAtK), servingWeights: round(r.extra!.scores.precisionAtK) },
    });
  }
  const offlineSeconds = (performance.now() - started) / 1000;

  // (b) latency at 10k
  const synthetic = syntheticCourses(dataset.records, CATALOGUE_SIZE - dataset.records.length, 7, dataset.referenceDate);
  const all = [...dataset.records, ...synthetic];
  const recommender = new CourseRecommender({ popularity });
  const buildStart = performance.now();
  await recommender.upsertMany(all);
  const buildMs = performance.now() - buildStart;
  const brute = await new BruteForceRanker(recommender.catalogue(), recommender.weights, recommender).init(popularity);
  const queries = benchQueries(dataset.records, recommender.subjects, 11);
  // warm-up
  for (const q of queries.slice(0, 200)) recommender.recommend(q);
  // Each query is timed REPEATS times back to back: the first run is the plain latency, the
  // per-query minimum removes most scheduler noise on a shared machine (both are reported).
  const time = (f: () => void): number => {
    const t = performance.now();
    f();
    return performance.now() - t;
  };
  const indexedFirst: number[] = [];
  const indexedMin: number[] = [];
  const parsed: RecommendationQuery[] = [];
  for (const q of queries) {
    let first = 0;
    let min = Infinity;
    for (let r = 0; r < REPEATS; r++) {
      const ms = time(() => {
        if (r === 0) parsed.push(recommender.recommend(q).query);
        else recommender.recommend(q);
      });
      if (r === 0) first = ms;
      min = Math.min(min, ms);
    }
    indexedFirst.push(first);
    indexedMin.push(min);
  }
  const bruteQueries = parsed.slice(0, BRUTE_FORCE_QUERIES);
  for (const q of bruteQueries.slice(0, 20)) brute.rank(q);
  const scanFirst: number[] = [];
  const scanMin: number[] = [];
  let mismatches = 0;
  for (const q of bruteQueries) {
    let ids: string[] = [];
    const runs = Array.from({ length: REPEATS }, () => time(() => (ids = brute.rank(q))));
    scanFirst.push(runs[0]);
    scanMin.push(Math.min(...runs));
    if (ids.join() !== recommender.rankIds(q, 'blended').join()) mismatches++;
  }
  const scores = (s: { precisionAtK: number; ndcgAtK: number; queries: number }) => ({ precisionAt10: round(s.precisionAtK), ndcgAt10: round(s.ndcgAtK), queries: s.queries });
  return {
    machine: { cpus: cpus().length, cpu: cpus()[0]?.model, loadavg: loadavg().map((x) => Math.round(x * 100) / 100) },
    offline: {
      seed: offline.seed,
      catalogue: offline.catalogue,
      heldOut: offline.heldOut,
      popularitySource: offline.popularitySource,
      validation: {
        queries: offline.tuning.validationQueries,
        gridPoints: offline.tuning.grid.length,
        top10: [...offline.tuning.grid].sort((a, b) => b.ndcgAtK - a.ndcgAtK).slice(0, 10).map(gridPoint),
        textOnly: gridPoint(offline.tuning.grid[0]),
        bestWithoutLevel: gridPoint(bestOf(offline.tuning.grid.filter((g) => g.weights.level === 0))),
        bestWithoutSubject: gridPoint(bestOf(offline.tuning.grid.filter((g) => g.weights.subject === 0))),
        bestTextPopularityOnly: gridPoint(bestOf(offline.tuning.grid.filter((g) => g.weights.subject === 0 && g.weights.level === 0))),
      },
      bestValidationWeights: offline.tuning.bestWeights,
      bestVsTextOnValidation: paired(offline.tuning.bestVsTextOnValidation),
      chosenWeights: offline.tuning.chosenWeights,
      blended: scores(offline.blended),
      textOnly: scores(offline.text),
      popularityOnly: scores(offline.popularity),
      blendedVsText: paired(offline.blendedVsText),
      blendedVsPopularity: paired(offline.blendedVsPopularity),
      servingWeights: { weights: offline.extra!.weights, ...scores(offline.extra!.scores), vsText: paired(offline.extra!.vsText) },
      blendedBeatsText: offline.blended.ndcgAtK > offline.text.ndcgAtK && offline.blended.precisionAtK > offline.text.precisionAtK,
      blendedAtLeastText: offline.blended.ndcgAtK >= offline.text.ndcgAtK && offline.blended.precisionAtK >= offline.text.precisionAtK,
      blendedBeatsPopularity: offline.blended.ndcgAtK > offline.popularity.ndcgAtK && offline.blended.precisionAtK > offline.popularity.precisionAtK,
      otherSeeds: seeds,
      seconds: Math.round(offlineSeconds * 10) / 10,
    },
    latency: {
      catalogue: recommender.size,
      real: dataset.records.length,
      synthetic: synthetic.length,
      buildMs: Math.round(buildMs),
      queries: queries.length,
      repeatsPerQuery: REPEATS,
      invertedIndexMs: { firstRun: percentiles(indexedFirst), minOfRepeats: percentiles(indexedMin) },
      bruteForceQueries: bruteQueries.length,
      bruteForceScanMs: { firstRun: percentiles(scanFirst), minOfRepeats: percentiles(scanMin) },
      top10DifferencesFromBruteForce: mismatches,
    },
  };
}

runIfExecutedDirectly(import.meta.url, run);
