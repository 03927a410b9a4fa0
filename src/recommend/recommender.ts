import type { EnrichedCourse } from '../features/course/enrich.js';
import { COURSE_LEVELS } from '../features/course/schema.js';
import { tokenize } from '../features/course/tfidf.js';
import { Bm25Index, DEFAULT_BM25, type Bm25Parameters } from './bm25-index.js';
import { CatalogueStore } from './catalogue-store.js';
import { asEnrichedCourse } from './enriched-record.js';
import { NaiveBayesAffinity } from './label-affinity.js';
import { contentTerms } from './stop-words.js';
import { type PopularityScorer, type PopularitySourceName, subscriberPrior } from './popularity.js';
import { type RecommendationQuery, parseRecommendationQuery } from './query.js';

/**
 * Course recommender over the catalogue seen so far. Ranking: BM25 of the query against course
 * titles (the course pipeline's tokenizer), normalised by the best match of the query, blended
 * with a learned subject affinity, a level affinity and predicted popularity:
 *   score = (1 - w_s - w_l - w_p)·text + w_s·P(subject | query) + w_l·P(level | query) + w_p·popularity,
 * where P(· | query) come from multinomial naive Bayes models over the catalogue's own titles,
 * updated on every upsert (label-affinity.ts). Candidates are the courses that share a word with
 * the query; in the blended ranking with a subject weight, when fewer than `limit` pass the
 * filters (and at least one course matched a word), the most popular courses of the query's most
 * probable subject fill up the list. Filters are hard constraints.
 * The catalogue is updated by upsert (by course_id) and, with a store, persisted as JSON lines.
 */
export type RankingMode = 'blended' | 'text' | 'popularity';

/** Blend weights, each 0..1, summing to at most 1 (text gets the rest). */
export interface BlendWeights {
  popularity: number;
  subject: number;
  level: number;
}

/**
 * Serving blend weights. The offline evaluation (bench/recommend.ts, grid tuned on the validation
 * part of the training catalogue, course-model popularity) finds a broad plateau of validation
 * nDCG@10 for subject 0.3-0.8 with level 0.1-0.4 and popularity 0-0.1, about 0.16 above text
 * only; the serving point sits inside it, with a little popularity to order near-equal matches.
 */
export const DEFAULT_POPULARITY_WEIGHT = 0.05;
export const DEFAULT_SUBJECT_WEIGHT = 0.5;
export const DEFAULT_LEVEL_WEIGHT = 0.2;
export const DEFAULT_BLEND_WEIGHTS: Readonly<BlendWeights> = Object.freeze({
  popularity: DEFAULT_POPULARITY_WEIGHT,
  subject: DEFAULT_SUBJECT_WEIGHT,
  level: DEFAULT_LEVEL_WEIGHT,
});
export const TEXT_ONLY: Readonly<BlendWeights> = Object.freeze({ popularity: 0, subject: 0, level: 0 });
export const POPULARITY_ONLY: Readonly<BlendWeights> = Object.freeze({ popularity: 1, subject: 0, level: 0 });

/** Throws naming the bad weight when a weight is outside 0..1 or they sum above 1. */
export function checkBlendWeights(w: BlendWeights): BlendWeights {
  for (const [name, v] of Object.entries(w)) {
    if (!(typeof v === 'number' && v >= 0 && v <= 1)) throw new Error(`${name} weight must be between 0 and 1, got ${v}`);
  }
  const sum = w.popularity + w.subject + w.level;
  if (sum > 1 + 1e-9) throw new Error(`blend weights sum to ${sum} (popularity ${w.popularity} + subject ${w.subject} + level ${w.level}); they must sum to at most 1`);
  return w;
}

export interface RecommenderOptions {
  /** Weight w_p of popularity in the blend, 0..1 (default DEFAULT_POPULARITY_WEIGHT). */
  popularityWeight?: number;
  /** Weight w_s of the subject affinity P(subject | query), 0..1 (default DEFAULT_SUBJECT_WEIGHT). */
  subjectWeight?: number;
  /** Weight w_l of the level affinity P(level | query), 0..1 (default DEFAULT_LEVEL_WEIGHT). */
  levelWeight?: number;
  popularity?: PopularityScorer;
  bm25?: Bm25Parameters;
  /** Persist the catalogue here (loaded by CourseRecommender.open). */
  store?: CatalogueStore;
  /** Compact the store when it holds more than this many lines per course (default 2). */
  compactRatio?: number;
}

export interface Recommendation {
  rank: number;
  courseId: string;
  title: string;
  url?: string;
  subject?: string;
  level: string;
  price: number;
  isFree: boolean;
  contentHours: number;
  numSubscribers?: number;
  score: number;
  /**
   * BM25 normalised by the query's best match (0..1), raw BM25, popularity (0..1), P(course's
   * subject | query), P(course's level | query), and the weights they were blended with.
   */
  components: {
    text: number;
    bm25: number;
    popularity: number;
    subjectAffinity: number;
    levelAffinity: number;
    popularityWeight: number;
    subjectWeight: number;
    levelWeight: number;
  };
  /** Query words found in the title. */
  matchingTerms: string[];
  /**
   * value: the popularity score used in the blend (0..1; its source says what it is); percentile:
   * the share of the catalogue's courses (0..100) with a lower score; subscribers: the course's
   * subscriber count when the record has one.
   */
  popularity: { value: number; source: PopularitySourceName; percentile: number; subscribers?: number };
  priceFit: string;
  /** Human-readable reasons, in order of weight. */
  reasons: string[];
}

export interface RecommendationResult {
  query: RecommendationQuery;
  ranking: RankingMode;
  results: Recommendation[];
  /** Courses ranked: those that matched a query word and passed the filters, plus subject fill-ups (before the limit). */
  candidates: number;
  /** The query's most probable subject and its probability (naive Bayes over the catalogue titles). */
  subjectGuess?: { subject: string; probability: number };
  catalogue: CatalogueDescription;
}

/** Where the catalogue came from: built from a course CSV, loaded from a snapshot file, or filled only by upserts. */
export type CatalogueSourceName = 'csv' | 'snapshot' | 'memory';

export interface CatalogueOrigin {
  source: CatalogueSourceName;
  /** The CSV or snapshot file. */
  path?: string;
  /** Whether the live course stream (courses.enriched) updates it. */
  live: boolean;
  /** When its content last changed (ms since epoch): the file's modification time, then each update. */
  updatedAt?: number;
}

export interface CatalogueDescription {
  size: number;
  version: number;
  source: CatalogueSourceName;
  path?: string;
  live: boolean;
  /** ISO time of the last change of the catalogue's content, and its age in seconds. */
  updatedAt?: string;
  ageSeconds?: number;
  popularitySource: PopularitySourceName;
  popularityDescription: string;
}

export interface UpsertReport {
  added: number;
  updated: number;
}

interface Ranked {
  slot: number;
  score: number;
  text: number;
  bm25: number;
  popularity: number;
  subjectAffinity: number;
  levelAffinity: number;
}

/** P(subject | query) and P(level | query) by code, with the most probable subject code. */
interface QueryAffinity {
  subject: Float64Array;
  level: Float64Array;
  bestSubject: number;
}

export class CourseRecommender {
  readonly popularityWeight: number;
  readonly weights: Readonly<BlendWeights>;
  readonly popularityScorer: PopularityScorer;
  private readonly index: Bm25Index;
  private readonly store?: CatalogueStore;
  private readonly compactRatio: number;
  private readonly courses: (EnrichedCourse | undefined)[] = [];
  private readonly rawPopularity: number[] = [];
  // Filter attributes per slot, columnar (a query checks them for every text match; reading them
  // off the record objects is several times slower).
  private readonly subjectCode: number[] = [];
  private readonly levelCode: number[] = [];
  private readonly effectivePrice: number[] = [];
  private readonly hours: number[] = [];
  private readonly free: boolean[] = [];
  private readonly subjectCodes = new Map<string, number>();
  private readonly subjectNames: string[] = [];
  private readonly subjectModel = new NaiveBayesAffinity();
  private readonly levelModel = new NaiveBayesAffinity();
  /** Tokens each slot was counted with in the affinity models (to un-count them on replace). */
  private readonly modelTokens: (readonly string[] | undefined)[] = [];
  private readonly slotById = new Map<string, number>();
  private readonly subjectCounts = new Map<string, number>();
  private maxRawPopularity = 0;
  private maxDirty = false;
  private byPopularity: number[] | null = null;
  /** Popularity percentile of each slot (see popularityPercentile); rebuilt with popularityOrder(). */
  private popularityRank: Int32Array | null = null;
  private origin: CatalogueOrigin = { source: 'memory', live: false };
  private changeListeners = new Set<(version: number) => void>();
  private pending: Promise<unknown> = Promise.resolve();
  /** Increases on every change of the catalogue. */
  version = 0;

  constructor(options: RecommenderOptions = {}) {
    this.weights = Object.freeze(
      checkBlendWeights({
        popularity: options.popularityWeight ?? DEFAULT_POPULARITY_WEIGHT,
        subject: options.subjectWeight ?? DEFAULT_SUBJECT_WEIGHT,
        level: options.levelWeight ?? DEFAULT_LEVEL_WEIGHT,
      }),
    );
    this.popularityWeight = this.weights.popularity;
    this.popularityScorer = options.popularity ?? subscriberPrior;
    this.index = new Bm25Index(options.bm25 ?? DEFAULT_BM25);
    this.store = options.store;
    this.compactRatio = options.compactRatio ?? 2;
  }

  /** Creates a recommender and loads its store's snapshot (compacting it when it has superseded lines). */
  static async open(options: RecommenderOptions & { store: CatalogueStore }): Promise<CourseRecommender & { loaded: ReturnType<CatalogueStore['load']> }> {
    const r = new CourseRecommender(options) as CourseRecommender & { loaded: ReturnType<CatalogueStore['load']> };
    const loaded = options.store.load();
    r.loaded = loaded;
    await r.apply(loaded.records, false);
    if (loaded.lines > loaded.records.length) options.store.compact(r.catalogue());
    return r;
  }

  get size(): number {
    return this.slotById.size;
  }

  /** Says where the catalogue came from (reported with every answer); later changes move updatedAt. */
  setOrigin(origin: CatalogueOrigin): void {
    this.origin = { ...origin };
  }

  /** Source, file, size, age and popularity source of the catalogue, as reported with every answer. */
  describeCatalogue(now = Date.now()): CatalogueDescription {
    const o = this.origin;
    const out: CatalogueDescription = { size: this.size, version: this.version, source: o.source, live: o.live, popularitySource: this.popularityScorer.source, popularityDescription: this.popularityScorer.description };
    if (o.path !== undefined) out.path = o.path;
    if (o.updatedAt !== undefined) {
      out.updatedAt = new Date(o.updatedAt).toISOString();
      out.ageSeconds = Math.max(0, Math.round((now - o.updatedAt) / 1000));
    }
    return out;
  }

  /** Subjects present in the catalogue, sorted. */
  get subjects(): string[] {
    return [...this.subjectCounts.keys()].sort();
  }

  has(courseId: string): boolean {
    return this.slotById.has(courseId);
  }

  get(courseId: string): EnrichedCourse | undefined {
    const s = this.slotById.get(courseId);
    return s === undefined ? undefined : this.courses[s];
  }

  /** Every course, in slot order. */
  catalogue(): EnrichedCourse[] {
    return this.courses.filter((c): c is EnrichedCourse => c !== undefined);
  }

  /** Adds a course or replaces the one with the same course_id. */
  async upsert(course: EnrichedCourse | Record<string, unknown>): Promise<'added' | 'updated'> {
    const r = await this.upsertMany([course]);
    return r.added === 1 ? 'added' : 'updated';
  }

  /** Same as upsert (a course with a known id updates it, never duplicates it). */
  add(course: EnrichedCourse | Record<string, unknown>): Promise<'added' | 'updated'> {
    return this.upsert(course);
  }

  /** Adds or replaces many courses (one store append); records are shape-checked first, all or none. */
  async upsertMany(records: readonly (EnrichedCourse | Record<string, unknown>)[]): Promise<UpsertReport> {
    const courses = records.map((r) => asEnrichedCourse(r));
    return this.apply(courses, true);
  }

  /** Calls `listener(version)` after every change; returns the unsubscribe function. */
  onChange(listener: (version: number) => void): () => void {
    this.changeListeners.add(listener);
    return () => this.changeListeners.delete(listener);
  }

  /** Validates `input` (typed or URL strings) and ranks. Throws RecommendationQueryError naming the bad field. */
  recommend(input: unknown, ranking: RankingMode = 'blended'): RecommendationResult {
    const query = parseRecommendationQuery(input, this.subjects);
    return this.rank(query, ranking);
  }

  /** Ranks a validated query. `weights` override the blend weights of 'blended' (evaluation). */
  rank(query: RecommendationQuery, ranking: RankingMode = 'blended', weights: BlendWeights = this.weights): RecommendationResult {
    const terms = contentTerms(tokenize(query.query));
    const w = this.weightsFor(ranking, weights);
    const affinity = this.affinityOf(terms);
    const ranked = this.ranked(query, terms, ranking, w, affinity);
    const results = ranked.top.map((r, i) => this.describe(r, i + 1, terms, query, w));
    const out: RecommendationResult = {
      query,
      ranking,
      results,
      candidates: ranked.candidates,
      catalogue: this.describeCatalogue(),
    };
    if (affinity.bestSubject >= 0) out.subjectGuess = { subject: this.subjectNames[affinity.bestSubject], probability: round4(affinity.subject[affinity.bestSubject]) };
    return out;
  }

  /** Course ids of a ranking, best first (evaluation helper, no result objects). */
  rankIds(query: RecommendationQuery, ranking: RankingMode, weights: BlendWeights = this.weights): string[] {
    const terms = contentTerms(tokenize(query.query));
    const w = this.weightsFor(ranking, weights);
    return this.ranked(query, terms, ranking, w, this.affinityOf(terms)).top.map((r) => this.courses[r.slot]!.courseId);
  }

  /** P(subject | text) for every catalogue subject (naive Bayes over the catalogue titles), most probable first. */
  subjectAffinity(text: string): { subject: string; probability: number }[] {
    const a = this.affinityOf(contentTerms(tokenize(text)));
    return this.subjectNames
      .map((subject, code) => ({ subject, probability: a.subject[code] }))
      .filter((x) => this.subjectCounts.has(x.subject))
      .sort((x, y) => y.probability - x.probability || (x.subject < y.subject ? -1 : 1));
  }

  /** P(level | text) for every level (naive Bayes over the catalogue titles), most probable first. */
  levelAffinity(text: string): { level: string; probability: number }[] {
    const a = this.affinityOf(contentTerms(tokenize(text)));
    return COURSE_LEVELS.map((level, code) => ({ level: level as string, probability: a.level[code] })).sort((x, y) => y.probability - x.probability);
  }

  // ---- internals -----------------------------------------------------------------------------

  private async apply(courses: readonly EnrichedCourse[], persist: boolean): Promise<UpsertReport> {
    // Serialise mutations: the popularity scorer may be asynchronous.
    const run = this.pending.then(async () => {
      const popularity = courses.length > 0 ? await this.popularityScorer.score(courses) : [];
      if (popularity.length !== courses.length) throw new Error(`popularity scorer returned ${popularity.length} scores for ${courses.length} courses`);
      const report: UpsertReport = { added: 0, updated: 0 };
      courses.forEach((course, i) => {
        const p = popularity[i];
        if (!(p >= 0) || !Number.isFinite(p)) throw new Error(`popularity of course ${course.courseId} is ${p}; expected a finite score >= 0`);
        let slot = this.slotById.get(course.courseId);
        if (slot === undefined) {
          slot = this.courses.length;
          this.courses.push(undefined);
          this.rawPopularity.push(0);
          this.subjectCode.push(-1);
          this.levelCode.push(-1);
          this.effectivePrice.push(0);
          this.hours.push(0);
          this.free.push(false);
          this.slotById.set(course.courseId, slot);
          report.added++;
        } else {
          const old = this.courses[slot]!;
          if (old.subject !== undefined) this.decrementSubject(old.subject);
          const oldTokens = this.modelTokens[slot]!;
          if (this.subjectCode[slot] >= 0) this.subjectModel.remove(this.subjectCode[slot], oldTokens);
          if (this.levelCode[slot] >= 0) this.levelModel.remove(this.levelCode[slot], oldTokens);
          if (this.rawPopularity[slot] >= this.maxRawPopularity) this.maxDirty = true;
          report.updated++;
        }
        this.courses[slot] = course;
        this.rawPopularity[slot] = p;
        this.subjectCode[slot] = course.subject === undefined ? -1 : this.codeOfSubject(course.subject);
        this.levelCode[slot] = COURSE_LEVELS.indexOf(course.level);
        this.effectivePrice[slot] = course.isFree ? 0 : course.price;
        this.hours[slot] = course.contentDurationHours;
        this.free[slot] = course.isFree;
        if (p > this.maxRawPopularity) this.maxRawPopularity = p;
        if (course.subject !== undefined) this.subjectCounts.set(course.subject, (this.subjectCounts.get(course.subject) ?? 0) + 1);
        // titleTokens come from the pipeline's tokenize(); recomputed if a record lacks them
        const tokens = course.titleTokens.length > 0 ? course.titleTokens : tokenize(course.title);
        this.index.set(slot, tokens);
        this.modelTokens[slot] = tokens;
        if (this.subjectCode[slot] >= 0) this.subjectModel.add(this.subjectCode[slot], tokens);
        if (this.levelCode[slot] >= 0) this.levelModel.add(this.levelCode[slot], tokens);
      });
      if (courses.length > 0) {
        this.version++;
        this.byPopularity = null;
        this.popularityRank = null;
        this.origin.updatedAt = Date.now();
        if (persist && this.store) {
          this.store.append(courses);
          if (this.store.lines > this.compactRatio * this.size + 100) this.store.compact(this.catalogue());
        }
        for (const l of this.changeListeners) l(this.version);
      }
      return report;
    });
    this.pending = run.catch(() => undefined);
    return run;
  }

  private decrementSubject(subject: string): void {
    const n = (this.subjectCounts.get(subject) ?? 0) - 1;
    if (n <= 0) this.subjectCounts.delete(subject);
    else this.subjectCounts.set(subject, n);
  }

  private popularityOf(slot: number): number {
    const raw = this.rawPopularity[slot];
    if (!this.popularityScorer.normaliseByMax) return raw;
    if (this.maxDirty) {
      this.maxRawPopularity = 0;
      for (let s = 0; s < this.courses.length; s++) if (this.courses[s] && this.rawPopularity[s] > this.maxRawPopularity) this.maxRawPopularity = this.rawPopularity[s];
      this.maxDirty = false;
    }
    return this.maxRawPopularity > 0 ? raw / this.maxRawPopularity : 0;
  }

  private codeOfSubject(subject: string): number {
    let code = this.subjectCodes.get(subject);
    if (code === undefined) {
      this.subjectCodes.set(subject, (code = this.subjectCodes.size));
      this.subjectNames.push(subject);
    }
    return code;
  }

  private weightsFor(ranking: RankingMode, weights: BlendWeights): BlendWeights {
    if (ranking === 'text') return TEXT_ONLY;
    if (ranking === 'popularity') return POPULARITY_ONLY;
    return weights === this.weights ? weights : checkBlendWeights(weights);
  }

  /** Per-query affinities: one naive Bayes posterior per model (a lookup per candidate afterwards). */
  private affinityOf(terms: readonly string[]): QueryAffinity {
    const s = this.subjectModel.posterior(terms, this.subjectNames.length);
    const l = this.levelModel.posterior(terms, COURSE_LEVELS.length);
    return { subject: s.probabilities, level: l.probabilities, bestSubject: s.best };
  }

  private ranked(q: RecommendationQuery, terms: string[], ranking: RankingMode, w: BlendWeights, a: QueryAffinity): { top: Ranked[]; candidates: number } {
    return ranking === 'popularity' ? this.rankByPopularity(q, a) : this.rankByText(q, terms, w, a, ranking === 'blended');
  }

  /** The query's hard constraints as a predicate over slots. */
  private filterOf(q: RecommendationQuery): (slot: number) => boolean {
    const subject = q.subject === undefined ? undefined : (this.subjectCodes.get(q.subject) ?? -2);
    const level = q.level === undefined ? undefined : COURSE_LEVELS.indexOf(q.level);
    const { free, maxPrice, maxHours } = q;
    return (s) =>
      (subject === undefined || this.subjectCode[s] === subject) &&
      (level === undefined || this.levelCode[s] === level) &&
      (free === undefined || this.free[s] === free) &&
      (maxPrice === undefined || this.effectivePrice[s] <= maxPrice) &&
      (maxHours === undefined || this.hours[s] <= maxHours);
  }

  private rankByText(q: RecommendationQuery, terms: string[], w: BlendWeights, a: QueryAffinity, fillUp: boolean): { top: Ranked[]; candidates: number } {
    const hits = this.index.search(terms);
    const passes = this.filterOf(q);
    const keep: number[] = [];
    let best = 0;
    for (let i = 0; i < hits.slots.length; i++) {
      if (!passes(hits.slots[i])) continue;
      keep.push(i);
      if (hits.scores[i] > best) best = hits.scores[i];
    }
    const wText = 1 - w.popularity - w.subject - w.level;
    const top = new TopK(q.limit);
    const offer = (slot: number, bm25: number): void => {
      const text = best > 0 ? bm25 / best : 0;
      const popularity = this.popularityOf(slot);
      const subjectAffinity = this.subjectCode[slot] >= 0 ? a.subject[this.subjectCode[slot]] : 0;
      const levelAffinity = this.levelCode[slot] >= 0 ? a.level[this.levelCode[slot]] : 0;
      const score = wText * text + w.subject * subjectAffinity + w.level * levelAffinity + w.popularity * popularity;
      top.offer({ slot, score, text, bm25, popularity, subjectAffinity, levelAffinity });
    };
    for (const i of keep) offer(hits.slots[i], hits.scores[i]);
    let candidates = keep.length;
    // Few text matches: fill up with the most popular courses of the most probable subject (the
    // query's subject filter when it has one) that pass the filters. Only when the blend uses the
    // subject affinity and the query has a word the catalogue knows (else P(subject | query) is
    // just the prior, and a query about something absent gets nothing rather than noise).
    const fillSubject = q.subject !== undefined ? (this.subjectCodes.get(q.subject) ?? -2) : a.bestSubject;
    if (fillUp && w.subject > 0 && hits.slots.length > 0 && keep.length < q.limit && fillSubject >= 0) {
      const matched = new Set(hits.slots);
      for (const slot of this.popularityOrder()) {
        if (candidates >= q.limit) break;
        if (this.subjectCode[slot] !== fillSubject || matched.has(slot) || !passes(slot)) continue;
        offer(slot, 0);
        candidates++;
      }
    }
    return { top: top.sorted(), candidates };
  }

  /** Live slots by popularity, best first (ties: earlier slot); rebuilt after a change. */
  private popularityOrder(): number[] {
    if (!this.byPopularity) {
      const slots: number[] = [];
      for (let s = 0; s < this.courses.length; s++) if (this.courses[s]) slots.push(s);
      const pop = slots.map((s) => this.popularityOf(s));
      const order = slots.map((_, i) => i).sort((a, b) => pop[b] - pop[a] || slots[a] - slots[b]);
      this.byPopularity = order.map((i) => slots[i]);
    }
    return this.byPopularity;
  }

  /** Share (0..100, whole) of the catalogue's other courses with a lower popularity score than this slot's (ties share it). */
  private popularityPercentile(slot: number): number {
    if (!this.popularityRank) {
      const order = this.popularityOrder();
      const n = order.length;
      const pct = new Int32Array(this.courses.length);
      // from the least popular up: a tie group gets the share of courses strictly below it
      for (let i = n - 1; i >= 0; ) {
        const score = this.popularityOf(order[i]);
        let j = i;
        while (j > 0 && this.popularityOf(order[j - 1]) === score) j--;
        const value = n > 1 ? Math.round((100 * (n - 1 - i)) / (n - 1)) : 100;
        for (let k = j; k <= i; k++) pct[order[k]] = value;
        i = j - 1;
      }
      this.popularityRank = pct;
    }
    return this.popularityRank[slot];
  }

  private rankByPopularity(q: RecommendationQuery, a: QueryAffinity): { top: Ranked[]; candidates: number } {
    const passes = this.filterOf(q);
    const top: Ranked[] = [];
    let candidates = 0;
    for (const slot of this.popularityOrder()) {
      if (!passes(slot)) continue;
      candidates++;
      if (top.length < q.limit) {
        const popularity = this.popularityOf(slot);
        const subjectAffinity = this.subjectCode[slot] >= 0 ? a.subject[this.subjectCode[slot]] : 0;
        const levelAffinity = this.levelCode[slot] >= 0 ? a.level[this.levelCode[slot]] : 0;
        top.push({ slot, score: popularity, text: 0, bm25: 0, popularity, subjectAffinity, levelAffinity });
      }
    }
    return { top, candidates };
  }

  private describe(r: Ranked, rank: number, terms: string[], q: RecommendationQuery, w: BlendWeights): Recommendation {
    const c = this.courses[r.slot]!;
    const matchingTerms = terms.filter((t) => this.index.termFrequency(r.slot, t) > 0);
    const price = c.isFree ? 0 : c.price;
    const priceFit = c.isFree
      ? 'free'
      : q.maxPrice !== undefined
        ? `${price} within the budget of ${q.maxPrice} (${Math.round((price / Math.max(q.maxPrice, 1e-9)) * 100)}% of it)`
        : `${price} (no budget given)`;
    const sourceText = this.popularityScorer.source === 'course-model' ? 'predicted by the course popularity model' : 'prior from log-scaled subscriber count (no course model loaded)';
    const wText = 1 - w.popularity - w.subject - w.level;
    const percentile = this.popularityPercentile(r.slot);
    const subscribers = c.numSubscribers !== undefined ? `, ${c.numSubscribers.toLocaleString('en-US')} subscribers` : '';
    const reasons: string[] = [];
    if (matchingTerms.length > 0) reasons.push(`title matches ${matchingTerms.map((t) => `"${t}"`).join(', ')} (text ${r.text.toFixed(2)}, weight ${wText.toFixed(2)})`);
    else reasons.push(`no title word matches the query: added as a popular course of the query's most probable subject`);
    if (c.subject !== undefined) {
      const fit = r.subjectAffinity >= 0.5 ? 'matches subject' : 'subject unlikely for the query:';
      reasons.push(`${fit} ${c.subject} (p=${r.subjectAffinity.toFixed(2)}, weight ${w.subject.toFixed(2)})`);
    }
    if (w.level > 0) reasons.push(`level ${c.level} fits the query (p=${r.levelAffinity.toFixed(2)}, weight ${w.level.toFixed(2)})`);
    reasons.push(`popularity: ${ordinal(percentile)} percentile of the ${this.size.toLocaleString('en-US')} courses${subscribers} (score ${r.popularity.toFixed(2)} ${sourceText}; weight ${w.popularity.toFixed(2)})`);
    reasons.push(`price: ${priceFit}`);
    if (q.maxHours !== undefined) reasons.push(`${round2(c.contentDurationHours)} h of content within ${q.maxHours} h`);
    const out: Recommendation = {
      rank,
      courseId: c.courseId,
      title: c.title,
      level: c.level,
      price,
      isFree: c.isFree,
      contentHours: c.contentDurationHours,
      score: round4(r.score),
      components: {
        text: round4(r.text),
        bm25: round4(r.bm25),
        popularity: round4(r.popularity),
        subjectAffinity: round4(r.subjectAffinity),
        levelAffinity: round4(r.levelAffinity),
        popularityWeight: w.popularity,
        subjectWeight: w.subject,
        levelWeight: w.level,
      },
      matchingTerms,
      popularity: { value: round4(r.popularity), source: this.popularityScorer.source, percentile, ...(c.numSubscribers !== undefined ? { subscribers: c.numSubscribers } : {}) },
      priceFit,
      reasons,
    };
    if (c.url !== undefined) out.url = c.url;
    if (c.subject !== undefined) out.subject = c.subject;
    if (c.numSubscribers !== undefined) out.numSubscribers = c.numSubscribers;
    return out;
  }
}

/** Keeps the k best by score (ties: earlier slot), without sorting every candidate. */
class TopK {
  private readonly items: Ranked[] = [];
  constructor(private readonly k: number) {}

  private static better(a: Ranked, b: Ranked): boolean {
    return a.score > b.score || (a.score === b.score && a.slot < b.slot);
  }

  offer(r: Ranked): void {
    const items = this.items;
    if (items.length === this.k && !TopK.better(r, items[items.length - 1])) return;
    if (items.length === this.k) items.pop();
    let i = items.length;
    while (i > 0 && TopK.better(r, items[i - 1])) i--;
    items.splice(i, 0, r);
  }

  sorted(): Ranked[] {
    return this.items;
  }
}

/** 1st, 2nd, 3rd, 4th, 11th, 12th, 13th, 21st... */
function ordinal(n: number): string {
  const mod100 = n % 100;
  const suffix = mod100 >= 11 && mod100 <= 13 ? 'th' : (['th', 'st', 'nd', 'rd'][n % 10] ?? 'th');
  return `${n}${suffix}`;
}

function round4(x: number): number {
  return Math.round(x * 1e4) / 1e4;
}
function round2(x: number): number {
  return Math.round(x * 100) / 100;
}
