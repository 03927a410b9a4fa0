import { tTestPaired } from '../analysis/parametric-tests.js';
import { trainTestSplit } from '../analysis/validation.js';
import type { EnrichedCourse } from '../features/course/enrich.js';
import type { PopularityScorer } from './popularity.js';
import { DEFAULT_LIMIT, type RecommendationQuery } from './query.js';
import { CourseRecommender, type RankingMode } from './recommender.js';
import { ndcgAtK, precisionAtK } from './ranking-metrics.js';

/**
 * Offline check without user logs. Hold out a seeded fraction of the courses; each held-out
 * course's title is the query against the catalogue of the others; a result is relevant when it
 * has the same subject AND level as the held-out course. Compares the blended ranking with a
 * popularity-only and a text-only (BM25) baseline at k. The blend weight is tuned on a validation
 * part of the training catalogue (its own seeded split), never on the held-out courses: the weight
 * with the best validation nDCG is taken only if it beats weight 0 (text only) significantly on
 * the validation queries (paired one-sided t-test over per-query nDCG, p < `alpha`); otherwise
 * the blend falls back to weight 0, since a gain that is noise on validation is noise on test too.
 */
export interface OfflineEvalOptions {
  seed?: number;
  /** Held-out fraction (default 0.2). */
  testFraction?: number;
  /** Fraction of the training catalogue used as validation queries when tuning (default 0.2). */
  validationFraction?: number;
  /** Candidate blend weights (default 0, 0.05, …, 1). */
  weights?: number[];
  k?: number;
  popularity?: PopularityScorer;
  /** Significance level of the validation gain needed to take a non-zero weight (default 0.05). */
  alpha?: number;
  /** Also score the blend at this fixed weight on the held-out courses (e.g. the serving weight). */
  extraWeight?: number;
}

export interface RankingScores {
  precisionAtK: number;
  ndcgAtK: number;
  /** Queries scored (those with at least one relevant course in the catalogue). */
  queries: number;
  /** Per scored query, nDCG@k (for paired comparisons). */
  perQueryNdcg: number[];
}

export interface PairedComparison {
  meanDifference: number;
  pValue: number;
  test: string;
}

export interface OfflineEvalReport {
  k: number;
  seed: number;
  catalogue: number;
  heldOut: number;
  popularitySource: string;
  tuning: {
    catalogue: number;
    validationQueries: number;
    weights: { weight: number; ndcgAtK: number; precisionAtK: number }[];
    bestWeight: number;
    /** Best weight vs weight 0 on validation (one-sided: best > text only). */
    bestVsTextOnValidation: PairedComparison;
    chosenWeight: number;
  };
  blended: RankingScores;
  text: RankingScores;
  popularity: RankingScores;
  /** Held-out, two-sided: blended vs text only, blended vs popularity only (per-query nDCG@k). */
  blendedVsText: PairedComparison;
  blendedVsPopularity: PairedComparison;
  extra?: { weight: number; scores: RankingScores; vsText: PairedComparison };
}

function relevantTo(q: EnrichedCourse, c: EnrichedCourse | undefined): boolean {
  return c !== undefined && c.subject === q.subject && c.level === q.level;
}

async function buildCatalogue(records: readonly EnrichedCourse[], popularity?: PopularityScorer): Promise<CourseRecommender> {
  const r = new CourseRecommender({ popularity });
  await r.upsertMany(records);
  return r;
}

/** Mean P@k and nDCG@k of one ranking mode over queries. */
export function scoreRanking(recommender: CourseRecommender, queries: readonly EnrichedCourse[], mode: RankingMode, weight: number, k: number): RankingScores {
  const catalogue = recommender.catalogue();
  const relevantCount = new Map<string, number>();
  for (const c of catalogue) {
    const key = `${c.subject}\u0000${c.level}`;
    relevantCount.set(key, (relevantCount.get(key) ?? 0) + 1);
  }
  let p = 0;
  let n = 0;
  let scored = 0;
  const perQueryNdcg: number[] = [];
  for (const q of queries) {
    const total = relevantCount.get(`${q.subject}\u0000${q.level}`) ?? 0;
    if (total === 0) continue;
    const query: RecommendationQuery = { query: q.title, limit: Math.max(k, DEFAULT_LIMIT) };
    const ids = recommender.rankIds(query, mode, weight).slice(0, k);
    const flags = ids.map((id) => relevantTo(q, recommender.get(id)));
    const ndcg = ndcgAtK(flags, total, k);
    p += precisionAtK(flags, k);
    n += ndcg;
    perQueryNdcg.push(ndcg);
    scored++;
  }
  return { precisionAtK: scored ? p / scored : NaN, ndcgAtK: scored ? n / scored : NaN, queries: scored, perQueryNdcg };
}

/** Paired t-test of per-query nDCG (a - b); identical lists give p = 1. */
export function comparePaired(a: RankingScores, b: RankingScores, alternative: 'two-sided' | 'greater' = 'two-sided'): PairedComparison {
  const diffs = a.perQueryNdcg.map((x, i) => x - b.perQueryNdcg[i]);
  const meanDifference = diffs.reduce((s, d) => s + d, 0) / Math.max(1, diffs.length);
  if (diffs.every((d) => d === 0)) return { meanDifference: 0, pValue: 1, test: 'paired t-test (no differences)' };
  const t = tTestPaired(a.perQueryNdcg, b.perQueryNdcg, { alternative });
  return { meanDifference, pValue: t.pValue, test: `paired t-test (${alternative})` };
}

export async function evaluateOffline(records: readonly EnrichedCourse[], options: OfflineEvalOptions = {}): Promise<OfflineEvalReport> {
  const seed = options.seed ?? 42;
  const k = options.k ?? 10;
  const weights = options.weights ?? Array.from({ length: 21 }, (_, i) => i / 20);
  const labelled = records.filter((r) => r.subject !== undefined);
  if (labelled.length < 10) throw new Error(`offline evaluation needs at least 10 courses with a subject, got ${labelled.length}`);
  const outer = trainTestSplit(labelled.length, { testSize: options.testFraction ?? 0.2, seed });
  const train = outer.train.map((i) => labelled[i]);
  const heldOut = outer.test.map((i) => labelled[i]);

  // tune the blend weight on the training catalogue only
  const inner = trainTestSplit(train.length, { testSize: options.validationFraction ?? 0.2, seed: seed + 1 });
  const tuneCatalogue = await buildCatalogue(
    inner.train.map((i) => train[i]),
    options.popularity,
  );
  const validation = inner.test.map((i) => train[i]);
  const triedScores = weights.map((weight) => ({ weight, s: scoreRanking(tuneCatalogue, validation, 'blended', weight, k) }));
  const tried = triedScores.map(({ weight, s }) => ({ weight, ndcgAtK: s.ndcgAtK, precisionAtK: s.precisionAtK }));
  // best nDCG; ties go to the smaller weight (the text-only end)
  const best = triedScores.reduce((b, t) => (t.s.ndcgAtK > b.s.ndcgAtK + 1e-12 ? t : b), triedScores[0]);
  const textOnValidation = scoreRanking(tuneCatalogue, validation, 'text', 0, k);
  const bestVsText = comparePaired(best.s, textOnValidation, 'greater');
  const chosenWeight = best.weight > 0 && bestVsText.pValue < (options.alpha ?? 0.05) ? best.weight : 0;

  const catalogue = await buildCatalogue(train, options.popularity);
  const blended = scoreRanking(catalogue, heldOut, 'blended', chosenWeight, k);
  const text = scoreRanking(catalogue, heldOut, 'text', 0, k);
  const popularity = scoreRanking(catalogue, heldOut, 'popularity', 1, k);
  const report: OfflineEvalReport = {
    k,
    seed,
    catalogue: train.length,
    heldOut: heldOut.length,
    popularitySource: catalogue.popularityScorer.source,
    tuning: {
      catalogue: inner.train.length,
      validationQueries: validation.length,
      weights: tried,
      bestWeight: best.weight,
      bestVsTextOnValidation: bestVsText,
      chosenWeight,
    },
    blended,
    text,
    popularity,
    blendedVsText: comparePaired(blended, text),
    blendedVsPopularity: comparePaired(blended, popularity),
  };
  if (options.extraWeight !== undefined) {
    const scores = scoreRanking(catalogue, heldOut, 'blended', options.extraWeight, k);
    report.extra = { weight: options.extraWeight, scores, vsText: comparePaired(scores, text) };
  }
  return report;
}
