import { courseFeatureFunctions, type CourseFeature } from './course-features.js';
import type { EnrichedCourse } from './enrich.js';
import { type SparseVector, type TfidfSettings, type TfidfVocabulary, TfidfVectorizer, fitTfidf } from './tfidf.js';
import type { CsrMatrix } from './sparse-matrix.js';

/**
 * The course models' design matrix, fitted on training records and stored with the model so live
 * scoring builds exactly the same columns: a block of standardised numeric features (first),
 * then the L2-normalised TF-IDF of the title over the fitted vocabulary.
 */
export interface FeatureSpaceSettings {
  /** Names from the registry of numeric course features (course-features.ts), in column order. */
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
  private readonly numericFns: CourseFeature[];
  private readonly mean: Float64Array;
  private readonly std: Float64Array;
  constructor(readonly json: FeatureSpaceJson) {
    this.vectorizer = json.vocabulary ? new TfidfVectorizer(json.vocabulary) : null;
    this.charVectorizer = json.charVocabulary ? new TfidfVectorizer(json.charVocabulary) : null;
    this.numericCount = json.mean.length;
    this.charOffset = this.numericCount + (this.vectorizer?.size ?? 0);
    if (this.charOffset + (this.charVectorizer?.size ?? 0) !== json.columns.length) throw new Error(`feature space: ${json.columns.length} columns, blocks of ${this.numericCount} + ${this.vectorizer?.size ?? 0} + ${this.charVectorizer?.size ?? 0}`);
    this.numericFns = courseFeatureFunctions(json.settings.numeric);
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
    const fns = courseFeatureFunctions(settings.numeric);
    const raw = records.map((r) => rawNumeric(r, fns, settings.subjects));
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
    const raw = rawNumeric(r, this.numericFns, this.json.settings.subjects);
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

function rawNumeric(r: EnrichedCourse, fns: readonly CourseFeature[], subjects: readonly string[] | null): number[] {
  const out = fns.map((f) => f(r));
  if (subjects) {
    if (r.subject === undefined) throw new Error('subject is missing (this model uses the subject as a feature)');
    for (const sub of subjects) out.push(r.subject === sub ? 1 : 0);
  }
  return out;
}
