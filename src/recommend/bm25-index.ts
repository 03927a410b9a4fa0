/**
 * Okapi BM25 over short documents (course titles) with a hand-written inverted index: a term's
 * postings are parallel arrays of document slots and term frequencies, so a query touches only
 * the documents that share a term with it. Documents live in dense slots (0..capacity); a slot
 * can be replaced (upsert) or freed, and the corpus statistics (N, average length, df) follow.
 *
 * idf = ln(1 + (N - df + 0.5) / (df + 0.5)) (Lucene's non-negative form),
 * score = Σ idf · tf·(k1+1) / (tf + k1·(1 - b + b·len/avgLen)).
 */
export interface Bm25Parameters {
  k1: number;
  b: number;
}

export const DEFAULT_BM25: Bm25Parameters = { k1: 1.2, b: 0.75 };

interface Postings {
  slots: number[];
  tfs: number[];
}

/** Scores of the documents that match at least one query term. */
export interface Bm25Hits {
  /** Slots with a positive score (each once). */
  slots: Int32Array;
  scores: Float64Array;
}

export class Bm25Index {
  private readonly postings = new Map<string, Postings>();
  /** Terms (with tf) of each slot; undefined for a free slot. */
  private readonly docTerms: (Map<string, number> | undefined)[] = [];
  private readonly docLength: number[] = [];
  private totalLength = 0;
  private documents = 0;
  // scratch accumulators, grown with the slot count
  private acc = new Float64Array(0);
  private touched = new Int32Array(0);

  constructor(readonly params: Bm25Parameters = DEFAULT_BM25) {
    if (!(params.k1 >= 0) || !(params.b >= 0 && params.b <= 1)) throw new Error(`BM25 parameters out of range: k1 ${params.k1} (>= 0), b ${params.b} (0..1)`);
  }

  get size(): number {
    return this.documents;
  }

  get averageLength(): number {
    return this.documents > 0 ? this.totalLength / this.documents : 0;
  }

  documentFrequency(term: string): number {
    return this.postings.get(term)?.slots.length ?? 0;
  }

  idf(term: string): number {
    const df = this.documentFrequency(term);
    return Math.log(1 + (this.documents - df + 0.5) / (df + 0.5));
  }

  /** Puts the tokens of a document in `slot`, replacing what was there. */
  set(slot: number, tokens: readonly string[]): void {
    if (!Number.isInteger(slot) || slot < 0) throw new Error(`BM25 slot must be a non-negative integer, got ${slot}`);
    if (this.docTerms[slot]) this.remove(slot);
    const tf = new Map<string, number>();
    for (const t of tokens) tf.set(t, (tf.get(t) ?? 0) + 1);
    while (this.docTerms.length <= slot) {
      this.docTerms.push(undefined);
      this.docLength.push(0);
    }
    this.docTerms[slot] = tf;
    this.docLength[slot] = tokens.length;
    this.totalLength += tokens.length;
    this.documents++;
    for (const [term, n] of tf) {
      let p = this.postings.get(term);
      if (!p) this.postings.set(term, (p = { slots: [], tfs: [] }));
      p.slots.push(slot);
      p.tfs.push(n);
    }
  }

  remove(slot: number): void {
    const tf = this.docTerms[slot];
    if (!tf) return;
    for (const term of tf.keys()) {
      const p = this.postings.get(term)!;
      const i = p.slots.indexOf(slot);
      p.slots[i] = p.slots[p.slots.length - 1];
      p.tfs[i] = p.tfs[p.tfs.length - 1];
      p.slots.pop();
      p.tfs.pop();
      if (p.slots.length === 0) this.postings.delete(term);
    }
    this.totalLength -= this.docLength[slot];
    this.docTerms[slot] = undefined;
    this.docLength[slot] = 0;
    this.documents--;
  }

  /** Term frequency of `term` in the document at `slot` (0 when absent). */
  termFrequency(slot: number, term: string): number {
    return this.docTerms[slot]?.get(term) ?? 0;
  }

  /** BM25 of every document sharing a term with `terms` (give distinct terms). */
  search(terms: readonly string[]): Bm25Hits {
    const n = this.docTerms.length;
    if (this.acc.length < n) {
      this.acc = new Float64Array(Math.max(n, this.acc.length * 2));
      this.touched = new Int32Array(this.acc.length);
    }
    const { k1, b } = this.params;
    const avg = this.averageLength || 1;
    let count = 0;
    for (const term of terms) {
      const p = this.postings.get(term);
      if (!p) continue;
      const idf = this.idf(term);
      for (let i = 0; i < p.slots.length; i++) {
        const s = p.slots[i];
        const tf = p.tfs[i];
        const w = (idf * tf * (k1 + 1)) / (tf + k1 * (1 - b + (b * this.docLength[s]) / avg));
        if (this.acc[s] === 0) this.touched[count++] = s;
        this.acc[s] += w;
      }
    }
    const slots = this.touched.slice(0, count);
    const scores = new Float64Array(count);
    for (let i = 0; i < count; i++) {
      const s = slots[i];
      scores[i] = this.acc[s];
      this.acc[s] = 0;
    }
    return { slots, scores };
  }
}
