import { COURSE_LEVELS } from './schema.js';
import type { EnrichedCourse } from './enrich.js';
import { type SparseVector, type TfidfSettings, type TfidfVocabulary, TfidfVectorizer, fitTfidf } from './tfidf.js';
import type { CsrMatrix } from './sparse-matrix.js';

/**
 * The course models' design matrix, fitted on training records and stored with the model so live
 * scoring builds exactly the same columns: a block of standardised numeric features (first),
 * then the L2-normalised TF-IDF of the title over the fitted vocabulary.
 */
export const NUMERIC_FEATURES: Record<string, (c: EnrichedCourse) => number> = {
  is_free: (c) => (c.isFree ? 1 : 0),
  price: (c) => c.price,
  log_price: (c) => Math.log1p(c.price),
  log_lectures: (c) => Math.log1p(c.numLectures),
  log_content_hours: (c) => Math.log1p(c.contentDurationHours),
  log_price_per_hour: (c) => Math.log1p(c.pricePerHour ?? 0),
  log_lectures_per_hour: (c) => Math.log1p(c.lecturesPerHour ?? 0),
  title_length: (c) => c.titleLength,
  title_words: (c) => c.titleWordCount,
  published_year: (c) => c.publishedYear,
  published_month: (c) => c.publishedMonth,
  published_weekday: (c) => c.publishedWeekday,
  log_age_days: (c) => Math.log1p(c.ageDays),
  level_index: (c) => c.levelIndex,
  ...Object.fromEntries(COURSE_LEVELS.map((l, i) => [`level=${l}`, (c: EnrichedCourse) => (c.levelIndex === i ? 1 : 0)])),
  log_reviews: (c) => {
    if (c.numReviews === undefined) throw new Error('num_reviews is missing (the model was trained with num_reviews)');
    return Math.log1p(c.numReviews);
  },
};

export const BASE_NUMERIC = Object.keys(NUMERIC_FEATURES).filter((n) => n !== 'log_reviews');

export interface FeatureSpaceSettings {
  numeric: string[];
  /** One-hot subject columns (for the popularity and subscriber models; the subject must be known). */
  subjects: string[] | null;
  tfidf: TfidfSettings | null;
  /** A second TF-IDF block over the title, usually character n-grams (analyzer 'char_wb'); absent: none. */
  charTfidf?: TfidfSettings | null;
}

export interface FeatureSpaceJson {
  settings: FeatureSpaceSettings;
  columns: string[];
  /** Standardisation of the numeric block (and subject one-hots). */
  mean: number[];
  std: number[];
  vocabulary: TfidfVocabulary | null;
  /** Vocabulary of the second text block (settings.charTfidf). */
  charVocabulary?: TfidfVocabulary | null;
}

export class FeatureSpace {
  readonly vectorizer: TfidfVectorizer | null;
  readonly charVectorizer: TfidfVectorizer | null;
  /** First column of the second text block. */
  private readonly charOffset: number;
  readonly numericCount: number;
  private readonly numericFns: ((c: EnrichedCourse) => number)[];
  private readonly mean: Float64Array;
  private readonly std: Float64Array;
  constructor(readonly json: FeatureSpaceJson) {
    this.vectorizer = json.vocabulary ? new TfidfVectorizer(json.vocabulary) : null;
    this.charVectorizer = json.charVocabulary ? new TfidfVectorizer(json.charVocabulary) : null;
    this.numericCount = json.mean.length;
    this.charOffset = this.numericCount + (this.vectorizer?.size ?? 0);
    if (this.charOffset + (this.charVectorizer?.size ?? 0) !== json.columns.length) throw new Error(`feature space: ${json.columns.length} columns, blocks of ${this.numericCount} + ${this.vectorizer?.size ?? 0} + ${this.charVectorizer?.size ?? 0}`);
    for (const n of json.settings.numeric) if (!NUMERIC_FEATURES[n]) throw new Error(`feature space: unknown numeric feature ${n}`);
    this.numericFns = json.settings.numeric.map((n) => NUMERIC_FEATURES[n]);
    this.mean = Float64Array.from(json.mean);
    this.std = Float64Array.from(json.std);
  }

  /** True when `other` builds its TF-IDF block with the same vocabulary (their text vectors can be shared). */
  sameVocabulary(other: FeatureSpace): boolean {
    const a = this.json.vocabulary;
    const b = other.json.vocabulary;
    if (a === b) return true;
    if (!a || !b) return false;
    return JSON.stringify(a) === JSON.stringify(b);
  }

  static fit(records: readonly EnrichedCourse[], settings: FeatureSpaceSettings): FeatureSpace {
    const vocabulary = settings.tfidf ? fitTfidf(records.map((r) => r.titleTokens), settings.tfidf) : null;
    const charVocabulary = settings.charTfidf ? fitTfidf(records.map((r) => r.titleTokens), settings.charTfidf) : null;
    const numericNames = [...settings.numeric, ...(settings.subjects ?? []).map((s) => `subject=${s}`)];
    const raw = records.map((r) => rawNumeric(r, settings));
    const mean = numericNames.map((_, j) => raw.reduce((a, row) => a + row[j], 0) / Math.max(1, raw.length));
    const std = numericNames.map((_, j) => {
      const v = raw.reduce((a, row) => a + (row[j] - mean[j]) ** 2, 0) / Math.max(1, raw.length);
      return v > 0 ? Math.sqrt(v) : 1;
    });
    return new FeatureSpace({
      settings,
      columns: [...numericNames, ...(vocabulary?.terms ?? []).map((t) => `title:${t}`), ...(charVocabulary?.terms ?? []).map((t) => `chars:${t}`)],
      mean,
      std,
      vocabulary,
      ...(charVocabulary ? { charVocabulary } : {}),
    });
  }

  get columns(): string[] {
    return this.json.columns;
  }

  /** Column ids of the numeric block. */
  get numericColumns(): number[] {
    return Array.from({ length: this.numericCount }, (_, i) => i);
  }

  /** Column ids of the TF-IDF block. */
  get textColumns(): number[] {
    return Array.from({ length: this.json.columns.length - this.numericCount }, (_, i) => this.numericCount + i);
  }

  row(r: EnrichedCourse): { indices: number[]; values: number[] } {
    const raw = rawNumeric(r, this.json.settings);
    const indices: number[] = [];
    const values: number[] = [];
    for (let j = 0; j < raw.length; j++) {
      const v = (raw[j] - this.json.mean[j]) / this.json.std[j];
      if (v !== 0) {
        indices.push(j);
        values.push(v);
      }
    }
    if (this.vectorizer) {
      const t = this.vectorizer.transform(r.titleTokens);
      for (let k = 0; k < t.indices.length; k++) {
        indices.push(this.numericCount + t.indices[k]);
        values.push(t.values[k]);
      }
    }
    if (this.charVectorizer) {
      const t = this.charVectorizer.transform(r.titleTokens);
      for (let k = 0; k < t.indices.length; k++) {
        indices.push(this.charOffset + t.indices[k]);
        values.push(t.values[k]);
      }
    }
    return { indices, values };
  }

  /**
   * The design matrix of `records` (same values as row() per record). `text` may hold the
   * records' TF-IDF vectors from a feature space with the same vocabulary (sameVocabulary).
   */
  transform(records: readonly EnrichedCourse[], text?: readonly SparseVector[]): CsrMatrix {
    const n = this.numericCount;
    const numeric = this.numericFns;
    const subjects = this.json.settings.subjects;
    const { mean, std } = this;
    let cap = records.length * (n + 16);
    let indices = new Int32Array(cap);
    let values = new Float64Array(cap);
    const indptr = new Int32Array(records.length + 1);
    let k = 0;
    const push = (c: number, v: number): void => {
      if (k === cap) {
        cap *= 2;
        const i2 = new Int32Array(cap);
        i2.set(indices);
        indices = i2;
        const v2 = new Float64Array(cap);
        v2.set(values);
        values = v2;
      }
      indices[k] = c;
      values[k++] = v;
    };
    for (let i = 0; i < records.length; i++) {
      const r = records[i];
      let j = 0;
      for (; j < numeric.length; j++) {
        const v = (numeric[j](r) - mean[j]) / std[j];
        if (v !== 0) push(j, v);
      }
      if (subjects) {
        if (r.subject === undefined) throw new Error('subject is missing (this model uses the subject as a feature)');
        for (const sub of subjects) {
          const v = ((r.subject === sub ? 1 : 0) - mean[j]) / std[j];
          if (v !== 0) push(j, v);
          j++;
        }
      }
      if (this.vectorizer) {
        const t = text ? text[i] : this.vectorizer.transform(r.titleTokens);
        for (let q = 0; q < t.indices.length; q++) push(n + t.indices[q], t.values[q]);
      }
      if (this.charVectorizer) {
        const t = this.charVectorizer.transform(r.titleTokens);
        const o = this.charOffset;
        for (let q = 0; q < t.indices.length; q++) push(o + t.indices[q], t.values[q]);
      }
      indptr[i + 1] = k;
    }
    return { rows: records.length, cols: this.json.columns.length, indptr, indices: indices.subarray(0, k), values: values.subarray(0, k) };
  }

  /** The `count` TF-IDF columns with the highest document frequency (for tree models). */
  topTextColumns(count: number): number[] {
    const v = this.json.vocabulary;
    if (!v || count <= 0) return [];
    return v.idf
      .map((idf, i) => ({ idf, i }))
      .sort((a, b) => a.idf - b.idf || a.i - b.i)
      .slice(0, count)
      .map(({ i }) => this.numericCount + i);
  }
}

function rawNumeric(r: EnrichedCourse, s: FeatureSpaceSettings): number[] {
  const out = s.numeric.map((n) => NUMERIC_FEATURES[n](r));
  if (s.subjects) {
    if (r.subject === undefined) throw new Error('subject is missing (this model uses the subject as a feature)');
    for (const sub of s.subjects) out.push(r.subject === sub ? 1 : 0);
  }
  return out;
}
