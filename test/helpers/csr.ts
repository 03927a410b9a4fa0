import { type CsrMatrix, csrFromRows } from '../../src/features/course/sparse-matrix.js';

/** A CSR matrix from dense rows (zeros left out), for the course model tests. */
export function csrFromDense(rows: number[][]): CsrMatrix {
  return csrFromRows(
    rows.map((r) => ({ indices: r.map((_, j) => j).filter((j) => r[j] !== 0), values: r.filter((v) => v !== 0) })),
    rows[0].length,
  );
}
