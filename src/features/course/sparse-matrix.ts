/**
 * Compressed sparse row matrix: the design matrix of the course models (a few dense numeric
 * columns followed by thousands of mostly-zero TF-IDF columns).
 */
export interface CsrMatrix {
  rows: number;
  cols: number;
  indptr: Int32Array;
  indices: Int32Array;
  values: Float64Array;
}

export function csrFromRows(rows: readonly { indices: readonly number[]; values: readonly number[] }[], cols: number): CsrMatrix {
  let nnz = 0;
  for (const r of rows) nnz += r.indices.length;
  const indptr = new Int32Array(rows.length + 1);
  const indices = new Int32Array(nnz);
  const values = new Float64Array(nnz);
  let k = 0;
  rows.forEach((r, i) => {
    for (let j = 0; j < r.indices.length; j++) {
      const c = r.indices[j];
      if (c < 0 || c >= cols) throw new Error(`csr: column ${c} out of range 0..${cols - 1}`);
      indices[k] = c;
      values[k++] = r.values[j];
    }
    indptr[i + 1] = k;
  });
  return { rows: rows.length, cols, indptr, indices, values };
}

/** Rows `which` of `m`, in that order. */
export function selectRows(m: CsrMatrix, which: readonly number[]): CsrMatrix {
  let nnz = 0;
  for (const r of which) nnz += m.indptr[r + 1] - m.indptr[r];
  const indptr = new Int32Array(which.length + 1);
  const indices = new Int32Array(nnz);
  const values = new Float64Array(nnz);
  let k = 0;
  which.forEach((r, i) => {
    for (let p = m.indptr[r]; p < m.indptr[r + 1]; p++) {
      indices[k] = m.indices[p];
      values[k++] = m.values[p];
    }
    indptr[i + 1] = k;
  });
  return { rows: which.length, cols: m.cols, indptr, indices, values };
}

/** Keeps only columns where `keep[c]` (same column numbering, the others become zero). */
export function maskColumns(m: CsrMatrix, keep: (c: number) => boolean): CsrMatrix {
  const indptr = new Int32Array(m.rows + 1);
  const idx: number[] = [];
  const val: number[] = [];
  for (let r = 0; r < m.rows; r++) {
    for (let p = m.indptr[r]; p < m.indptr[r + 1]; p++) {
      if (keep(m.indices[p])) {
        idx.push(m.indices[p]);
        val.push(m.values[p]);
      }
    }
    indptr[r + 1] = idx.length;
  }
  return { rows: m.rows, cols: m.cols, indptr, indices: Int32Array.from(idx), values: Float64Array.from(val) };
}

/** Dot product of row r with a dense vector (offset into a flat weight array). */
export function rowDot(m: CsrMatrix, r: number, w: ArrayLike<number>, offset = 0): number {
  let s = 0;
  for (let p = m.indptr[r]; p < m.indptr[r + 1]; p++) s += m.values[p] * w[offset + m.indices[p]];
  return s;
}

/** Row r as a dense vector (written into `out`, which is zeroed first). */
export function rowToDense(m: CsrMatrix, r: number, out: Float64Array): Float64Array {
  out.fill(0);
  for (let p = m.indptr[r]; p < m.indptr[r + 1]; p++) out[m.indices[p]] = m.values[p];
  return out;
}

/** Column-major dense copies of the given columns (for tree training). */
export function denseColumns(m: CsrMatrix, columns: readonly number[]): Float64Array[] {
  const pos = new Map(columns.map((c, i) => [c, i]));
  const out = columns.map(() => new Float64Array(m.rows));
  for (let r = 0; r < m.rows; r++) {
    for (let p = m.indptr[r]; p < m.indptr[r + 1]; p++) {
      const i = pos.get(m.indices[p]);
      if (i !== undefined) out[i][r] = m.values[p];
    }
  }
  return out;
}

/** Column means. */
export function columnMeans(m: CsrMatrix): Float64Array {
  const s = new Float64Array(m.cols);
  for (let p = 0; p < m.indptr[m.rows]; p++) s[m.indices[p]] += m.values[p];
  for (let c = 0; c < m.cols; c++) s[c] /= Math.max(1, m.rows);
  return s;
}
