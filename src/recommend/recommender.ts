import type { EnrichedCourse } from '../features/course/enrich.js';
import { COURSE_LEVELS } from '../features/course/schema.js';
import { tokenize } from '../features/course/tfidf.js';
import { Bm25Index, DEFAULT_BM25, type Bm25Parameters } from './bm25-index.js';
import { CatalogueStore } from './catalogue-store.js';
import { asEnrichedCourse } from './enriched-record.js';
import { type PopularityScorer, type PopularitySourceName, subscriberPrior } from './popularity.js';
import { type RecommendationQuery, parseRecommendationQuery } from './query.js';

/**
 * Course recommender over the catalogue seen so far. Ranking: BM25 of the query against course
 * titles (the course pipeline's tokenizer), normalised by the best match of the query, blended
 * with predicted popularity: score = (1 - w)·text + w·popularity. Only courses that share a word
 * with the query are ranked (text and blended); filters are hard constraints. The catalogue is
 * updated by upsert (by course_id) and, with a store, persisted as JSON lines.
 */
export type RankingMode = 'blended' | 'text' | 'popularity';

/**
 * Serving blend weight. The offline evaluation (bench/recommend.ts) finds the validation nDCG@10
 * flat from 0 to ~0.25 and falling beyond 0.4 (with the subscriber prior): 0.1 puts popular
 * courses first among near-equal text matches at no significant cost in subject/level matching.
 */
export const DEFAULT_POPULARITY_WEIGHT = 0.1;

export interface RecommenderOptions {
  /** Weight w of popularity in the blend, 0..1. */
  popularityWeight?: number;
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
  /** BM25 normalised by the query's best match (0..1), raw BM25, and popularity (0..1). */
  components: { text: number; bm25: number; popularity: number; popularityWeight: number };
  /** Query words found in the title. */
  matchingTerms: string[];
  popularity: { value: number; source: PopularitySourceName };
  priceFit: string;
  /** Human-readable reasons, in order of weight. */
  reasons: string[];
}

export interface RecommendationResult {
  query: RecommendationQuery;
  ranking: RankingMode;
  results: Recommendation[];
  /** Courses that matched a query word and passed the filters (before the limit). */
  candidates: number;
  catalogue: { size: number; version: number; popularitySource: PopularitySourceName; popularityDescription: string };
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
}

export class CourseRecommender {
  readonly popularityWeight: number;
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
  private readonly slotById = new Map<string, number>();
  private readonly subjectCounts = new Map<string, number>();
  private maxRawPopularity = 0;
  private maxDirty = false;
  private byPopularity: number[] | null = null;
  private changeListeners = new Set<(version: number) => void>();
  private pending: Promise<unknown> = Promise.resolve();
  /** Increases on every change of the catalogue. */
  version = 0;

  constructor(options: RecommenderOptions = {}) {
    const w = options.popularityWeight ?? DEFAULT_POPULARITY_WEIGHT;
    if (!(w >= 0 && w <= 1)) throw new Error(`popularityWeight must be between 0 and 1, got ${w}`);
    this.popularityWeight = w;
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

  /** Ranks a validated query. `popularityWeight` overrides the blend weight (evaluation). */
  rank(query: RecommendationQuery, ranking: RankingMode = 'blended', popularityWeight = this.popularityWeight): RecommendationResult {
    const terms = [...new Set(tokenize(query.query))];
    const ranked = ranking === 'popularity' ? this.rankByPopularity(query) : this.rankByText(query, terms, ranking === 'text' ? 0 : popularityWeight);
    const results = ranked.top.map((r, i) => this.describe(r, i + 1, terms, query, ranking === 'popularity' ? 1 : ranking === 'text' ? 0 : popularityWeight));
    return {
      query,
      ranking,
      results,
      candidates: ranked.candidates,
      catalogue: {
        size: this.size,
        version: this.version,
        popularitySource: this.popularityScorer.source,
        popularityDescription: this.popularityScorer.description,
      },
    };
  }

  /** Course ids of a ranking, best first (evaluation helper, no result objects). */
  rankIds(query: RecommendationQuery, ranking: RankingMode, popularityWeight = this.popularityWeight): string[] {
    const terms = [...new Set(tokenize(query.query))];
    const ranked = ranking === 'popularity' ? this.rankByPopularity(query) : this.rankByText(query, terms, ranking === 'text' ? 0 : popularityWeight);
    return ranked.top.map((r) => this.courses[r.slot]!.courseId);
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
        this.index.set(slot, course.titleTokens.length > 0 ? course.titleTokens : tokenize(course.title));
      });
      if (courses.length > 0) {
        this.version++;
        this.byPopularity = null;
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
    if (code === undefined) this.subjectCodes.set(subject, (code = this.subjectCodes.size));
    return code;
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

  private rankByText(q: RecommendationQuery, terms: string[], w: number): { top: Ranked[]; candidates: number } {
    const hits = this.index.search(terms);
    const passes = this.filterOf(q);
    const keep: number[] = [];
    let best = 0;
    for (let i = 0; i < hits.slots.length; i++) {
      if (!passes(hits.slots[i])) continue;
      keep.push(i);
      if (hits.scores[i] > best) best = hits.scores[i];
    }
    const top = new TopK(q.limit);
    for (const i of keep) {
      const slot = hits.slots[i];
      const text = best > 0 ? hits.scores[i] / best : 0;
      const popularity = this.popularityOf(slot);
      top.offer({ slot, score: (1 - w) * text + w * popularity, text, bm25: hits.scores[i], popularity });
    }
    return { top: top.sorted(), candidates: keep.length };
  }

  private rankByPopularity(q: RecommendationQuery): { top: Ranked[]; candidates: number } {
    if (!this.byPopularity) {
      const slots: number[] = [];
      for (let s = 0; s < this.courses.length; s++) if (this.courses[s]) slots.push(s);
      const pop = slots.map((s) => this.popularityOf(s));
      const order = slots.map((_, i) => i).sort((a, b) => pop[b] - pop[a] || slots[a] - slots[b]);
      this.byPopularity = order.map((i) => slots[i]);
    }
    const passes = this.filterOf(q);
    const top: Ranked[] = [];
    let candidates = 0;
    for (const slot of this.byPopularity) {
      if (!passes(slot)) continue;
      candidates++;
      if (top.length < q.limit) {
        const popularity = this.popularityOf(slot);
        top.push({ slot, score: popularity, text: 0, bm25: 0, popularity });
      }
    }
    return { top, candidates };
  }

  private describe(r: Ranked, rank: number, terms: string[], q: RecommendationQuery, w: number): Recommendation {
    const c = this.courses[r.slot]!;
    const matchingTerms = terms.filter((t) => this.index.termFrequency(r.slot, t) > 0);
    const price = c.isFree ? 0 : c.price;
    const priceFit = c.isFree
      ? 'free'
      : q.maxPrice !== undefined
        ? `${price} within the budget of ${q.maxPrice} (${Math.round((price / Math.max(q.maxPrice, 1e-9)) * 100)}% of it)`
        : `${price} (no budget given)`;
    const sourceText = this.popularityScorer.source === 'course-model' ? 'predicted by the course popularity model' : 'prior from log-scaled subscriber count (no course model loaded)';
    const reasons: string[] = [];
    if (matchingTerms.length > 0) reasons.push(`title matches ${matchingTerms.map((t) => `"${t}"`).join(', ')} (text ${r.text.toFixed(2)}, weight ${(1 - w).toFixed(2)})`);
    reasons.push(`popularity ${r.popularity.toFixed(2)} ${sourceText} (weight ${w.toFixed(2)})`);
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
      components: { text: round4(r.text), bm25: round4(r.bm25), popularity: round4(r.popularity), popularityWeight: w },
      matchingTerms,
      popularity: { value: round4(r.popularity), source: this.popularityScorer.source },
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

function round4(x: number): number {
  return Math.round(x * 1e4) / 1e4;
}
function round2(x: number): number {
  return Math.round(x * 100) / 100;
}
