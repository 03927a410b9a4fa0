/**
 * TF-IDF over course titles with a fitted vocabulary (scikit-learn TfidfVectorizer semantics:
 * smooth idf = ln((1 + n) / (1 + df)) + 1, optional sublinear tf = 1 + ln(tf), L2-normalised rows).
 * The fitted vocabulary is plain JSON, stored in the model so training and live scoring (and the
 * recommender, later) use the same terms.
 * Hand-written: the course stream's hot path (BENCHMARKS.md, `npm run bench -- courses`) and scikit-learn's exact semantics.
 */
export interface TfidfSettings {
  /**
   * 'word' (default): word n-grams of the tokens. 'char_wb': character n-grams inside each token
   * padded with one space on both sides (" piano " gives " p", "pi", ..., "no "), as scikit-learn's
   * char_wb analyzer applied to the tokens.
   */
  analyzer?: 'word' | 'char_wb';
  /** n-gram range (words, or characters for char_wb), e.g. [1, 2]. */
  ngramRange: [number, number];
  /** Terms in fewer training documents are dropped. */
  minDf: number;
  /** Keep at most this many terms, the most frequent by document frequency. */
  maxFeatures: number;
  sublinearTf: boolean;
}

export const DEFAULT_TFIDF_SETTINGS: TfidfSettings = { ngramRange: [1, 2], minDf: 2, maxFeatures: 5000, sublinearTf: true };

export interface TfidfVocabulary {
  settings: TfidfSettings;
  terms: string[];
  idf: number[];
  documents: number;
}

/** A sparse vector: parallel arrays of ascending term indices and values. */
export interface SparseVector {
  indices: number[];
  values: number[];
}

const SPECIAL_TOKENS: [RegExp, string][] = [
  [/c\+\+/g, ' cplusplus '],
  [/c#/g, ' csharp '],
  [/f#/g, ' fsharp '],
  [/\.net\b/g, ' dotnet '],
  [/node\.js/g, ' nodejs '],
];

/** Lower-cased word tokens of at least 2 letters/digits (C++, C#, .NET kept as words). */
export function tokenize(text: string): string[] {
  let s = text.normalize('NFKC').toLowerCase();
  for (const [re, rep] of SPECIAL_TOKENS) s = s.replace(re, rep);
  return s.match(/[\p{L}\p{N}]{2,}/gu) ?? [];
}

/** Word n-grams of a token list, joined by a space. */
export function ngrams(tokens: readonly string[], range: [number, number]): string[] {
  const out: string[] = [];
  for (let n = range[0]; n <= range[1]; n++) {
    for (let i = 0; i + n <= tokens.length; i++) out.push(n === 1 ? tokens[i] : tokens.slice(i, i + n).join(' '));
  }
  return out;
}

/** Character n-grams of each token padded with a space on both sides (the char_wb analyzer). */
export function charNgrams(tokens: readonly string[], range: [number, number]): string[] {
  const out: string[] = [];
  for (const t of tokens) {
    const w = ' ' + t + ' ';
    for (let n = range[0]; n <= range[1]; n++) for (let i = 0; i + n <= w.length; i++) out.push(w.slice(i, i + n));
  }
  return out;
}

/** The terms of a token list under the settings' analyzer. */
export function analyze(tokens: readonly string[], settings: TfidfSettings): string[] {
  return settings.analyzer === 'char_wb' ? charNgrams(tokens, settings.ngramRange) : ngrams(tokens, settings.ngramRange);
}

export function fitTfidf(documents: readonly (readonly string[])[], settings: TfidfSettings = DEFAULT_TFIDF_SETTINGS): TfidfVocabulary {
  if (documents.length === 0) throw new Error('fitTfidf: no documents to fit the vocabulary on');
  const df = new Map<string, number>();
  for (const tokens of documents) {
    for (const t of new Set(analyze(tokens, settings))) df.set(t, (df.get(t) ?? 0) + 1);
  }
  const kept = [...df].filter(([, c]) => c >= settings.minDf);
  kept.sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
  const chosen = kept.slice(0, settings.maxFeatures).sort((a, b) => (a[0] < b[0] ? -1 : 1));
  const n = documents.length;
  return {
    settings,
    terms: chosen.map(([t]) => t),
    idf: chosen.map(([, c]) => Math.log((1 + n) / (1 + c)) + 1),
    documents: n,
  };
}

/** Fast term -> index lookup over a fitted vocabulary. */
export class TfidfVectorizer {
  private readonly index: Map<string, number>;
  constructor(readonly vocabulary: TfidfVocabulary) {
    this.index = new Map(vocabulary.terms.map((t, i) => [t, i]));
  }

  get size(): number {
    return this.vocabulary.terms.length;
  }

  termIndex(term: string): number | undefined {
    return this.index.get(term);
  }

  /** L2-normalised TF-IDF vector of one token list (unknown terms ignored). */
  transform(tokens: readonly string[]): SparseVector {
    const [lo, hi] = this.vocabulary.settings.ngramRange;
    const hits: number[] = [];
    if (this.vocabulary.settings.analyzer === 'char_wb') {
      for (const t of tokens) {
        const w = ' ' + t + ' ';
        for (let n = lo; n <= hi; n++) {
          for (let i = 0; i + n <= w.length; i++) {
            const h = this.index.get(w.slice(i, i + n));
            if (h !== undefined) hits.push(h);
          }
        }
      }
    } else for (let n = lo; n <= hi; n++) {
      for (let i = 0; i + n <= tokens.length; i++) {
        let g = tokens[i];
        for (let j = 1; j < n; j++) g += ' ' + tokens[i + j];
        const t = this.index.get(g);
        if (t !== undefined) hits.push(t);
      }
    }
    hits.sort((a, b) => a - b);
    const indices: number[] = [];
    const values: number[] = [];
    const { idf, settings } = this.vocabulary;
    for (let p = 0; p < hits.length; ) {
      const i = hits[p];
      let tf = 0;
      while (p < hits.length && hits[p] === i) {
        tf++;
        p++;
      }
      indices.push(i);
      values.push((settings.sublinearTf ? 1 + Math.log(tf) : tf) * idf[i]);
    }
    let sq = 0;
    for (const v of values) sq += v * v;
    const norm = Math.sqrt(sq);
    if (norm > 0) for (let k = 0; k < values.length; k++) values[k] /= norm;
    return { indices, values };
  }
}
