import { tTestPaired } from '../analysis/parametric-tests.js';
import { trainTestSplit } from '../analysis/validation.js';
import type { EnrichedCourse } from '../features/course/enrich.js';
import type { PopularityScorer } from './popularity.js';
import { DEFAULT_LIMIT, type RecommendationQuery } from './query.js';
import { type BlendWeights, CourseRecommender, type RankingMode, TEXT_ONLY } from './recommender.js';
import { ndcgAtK, precisionAtK } from './ranking-metrics.js';

/**
 * Offline check without user logs. Hold out a seeded fraction of the courses; each held-out
 * course's title is the query against the catalogue of the others; a result is relevant when it
 * has the same subject AND level as the held-out course. Compares the blended ranking with a
 * popularity-only and a text-only (BM25) baseline at k. The blend weights (popularity, subject
 * affinity, level affinity) are tuned on a grid over a validation part of the training catalogue
 * (its own seeded split), never on the held-out courses: the weights with the best validation nDCG
 * are taken only if they beat text only (all weights 0) significantly on the validation queries
 * (paired one-sided t-test over per-query nDCG, p < `alpha`); otherwise the blend falls back to
 * text only, since a gain that is noise on validation is noise on test too.
 */
export interface OfflineEvalOptions {
  seed?: number;
  /** Held-out fraction (default 0.2). */
  testFraction?: number;
  /** Fraction of the training catalogue used as validation queries when tuning (default 0.2). */
  validationFraction?: number;
  /** Candidate popularity weights (default 0, 0.05, 0.1, 0.2, 0.3). */
  popularityWeights?: number[];
  /** Candidate subject-affinity weights (default 0, 0.1, …, 0.9). */
  subjectWeights?: number[];
  /** Candidate level-affinity weights (default 0, 0.1, …, 0.4). */
  levelWeights?: number[];
  k?: number;
  popularity?: PopularityScorer;
  /** Significance level of the validation gain needed to take a non-zero weight (default 0.05). */
  alpha?: number;
  /** Also score the blend at these fixed weights on the held-out courses (e.g. the serving weights). */
  extraWeights?: BlendWeights;
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
    /** Every grid point (weights summing to at most 1) with its validation scores. */
    grid: { weights: BlendWeights; ndcgAtK: number; precisionAtK: number }[];
    bestWeights: BlendWeights;
    /** Best weights vs text only on validation (one-sided: best > text only). */
    bestVsTextOnValidation: PairedComparison;
    chosenWeights: BlendWeights;
  };
  blended: RankingScores;
  text: RankingScores;
  popularity: RankingScores;
  /** Held-out, two-sided: blended vs text only, blended vs popularity only (per-query nDCG@k). */
  blendedVsText: PairedComparison;
  blendedVsPopularity: PairedComparison;
  extra?: { weights: BlendWeights; scores: RankingScores; vsText: PairedComparison };
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
export function scoreRanking(recommender: CourseRecommender, queries: readonly EnrichedCourse[], mode: RankingMode, weights: BlendWeights, k: number): RankingScores {
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
    const ids = recommender.rankIds(query, mode, weights).slice(0, k);
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

/** Cartesian grid of the candidate weights, keeping points that sum to at most 1; text only first. */
export function weightGrid(popularity: readonly number[], subject: readonly number[], level: readonly number[]): BlendWeights[] {
  const grid: BlendWeights[] = [];
  for (const p of popularity) for (const s of subject) for (const l of level) if (p + s + l <= 1 + 1e-9) grid.push({ popularity: p, subject: s, level: l });
  grid.sort((a, b) => a.popularity + a.subject + a.level - (b.popularity + b.subject + b.level));
  return grid;
}

export async function evaluateOffline(records: readonly EnrichedCourse[], options: OfflineEvalOptions = {}): Promise<OfflineEvalReport> {
  const seed = options.seed ?? 42;
  const k = options.k ?? 10;
  const grid = weightGrid(
    options.popularityWeights ?? [0, 0.05, 0.1, 0.2, 0.3],
    options.subjectWeights ?? Array.from({ length: 10 }, (_, i) => i / 10),
    options.levelWeights ?? [0, 0.1, 0.2, 0.3, 0.4],
  );
  if (grid.length === 0) throw new Error('offline evaluation: the weight grid is empty (every combination sums above 1)');
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
  const triedScores = grid.map((weights) => ({ weights, s: scoreRanking(tuneCatalogue, validation, 'blended', weights, k) }));
  const tried = triedScores.map(({ weights, s }) => ({ weights, ndcgAtK: s.ndcgAtK, precisionAtK: s.precisionAtK }));
  // best nDCG; ties go to the earlier grid point (smaller total weight, the text-only end)
  const best = triedScores.reduce((b, t) => (t.s.ndcgAtK > b.s.ndcgAtK + 1e-12 ? t : b), triedScores[0]);
  const textOnValidation = scoreRanking(tuneCatalogue, validation, 'text', TEXT_ONLY, k);
  const bestVsText = comparePaired(best.s, textOnValidation, 'greater');
  const isTextOnly = (w: BlendWeights) => w.popularity === 0 && w.subject === 0 && w.level === 0;
  const chosenWeights = !isTextOnly(best.weights) && bestVsText.pValue < (options.alpha ?? 0.05) ? best.weights : { ...TEXT_ONLY };

  const catalogue = await buildCatalogue(train, options.popularity);
  const blended = scoreRanking(catalogue, heldOut, 'blended', chosenWeights, k);
  const text = scoreRanking(catalogue, heldOut, 'text', TEXT_ONLY, k);
  const popularity = scoreRanking(catalogue, heldOut, 'popularity', TEXT_ONLY, k);
  const report: OfflineEvalReport = {
    k,
    seed,
    catalogue: train.length,
    heldOut: heldOut.length,
    popularitySource: catalogue.popularityScorer.source,
    tuning: {
      catalogue: inner.train.length,
      validationQueries: validation.length,
      grid: tried,
      bestWeights: best.weights,
      bestVsTextOnValidation: bestVsText,
      chosenWeights,
    },
    blended,
    text,
    popularity,
    blendedVsText: comparePaired(blended, text),
    blendedVsPopularity: comparePaired(blended, popularity),
  };
  if (options.extraWeights !== undefined) {
    const scores = scoreRanking(catalogue, heldOut, 'blended', options.extraWeights, k);
    report.extra = { weights: options.extraWeights, scores, vsText: comparePaired(scores, text) };
  }
  return report;
}
