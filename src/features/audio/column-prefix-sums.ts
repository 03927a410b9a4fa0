/**
 * Prefix sums of the values and of their squares, per column, over the rows of a frame store, so that
 * the sum (and sum of squares) of any column over any run of stored rows costs two subtractions instead
 * of a pass over the rows: overlapping windows then share the work of their per-window statistics.
 *
 * Entry r of the prefix arrays holds the sums over rows [0, r) of the store; the store can hold
 * `capacityRows` rows, so there are capacityRows + 1 entries. Columns are added row by row, each column
 * range independently (a row's columns need not be known at the same time: deltas come `half` frames late).
 *
 * Accuracy: sums are float64. When the store drops its oldest rows, every kept entry is re-based on the
 * new first row (entry 0 becomes 0), so the prefix sums span at most capacityRows rows however long the
 * stream runs: a window's sums carry the rounding of a sum over about that many rows, the same order as
 * summing the window directly. Everything is computed in frame order, so it does not depend on how the
 * stream was chunked.
 */
export class ColumnPrefixSums {
  readonly nCols: number;
  private readonly sums: Float64Array;
  private readonly squares: Float64Array;

  constructor(
    readonly capacityRows: number,
    nCols: number,
  ) {
    this.nCols = nCols;
    this.sums = new Float64Array((capacityRows + 1) * nCols);
    this.squares = new Float64Array((capacityRows + 1) * nCols);
  }

  /** Start over: no rows. */
  reset(): void {
    this.sums.fill(0, 0, this.nCols);
    this.squares.fill(0, 0, this.nCols);
  }

  /**
   * Entry row + 1 := entry row + values, for columns [colFrom, colTo); values[valuesOffset + c] is column c.
   * Rows must be added in order for each column range.
   */
  addRow(row: number, values: Float64Array, valuesOffset: number, colFrom: number, colTo: number): void {
    const sums = this.sums;
    const squares = this.squares;
    const from = row * this.nCols;
    const to = from + this.nCols;
    for (let c = colFrom; c < colTo; c++) {
      const v = values[valuesOffset + c];
      sums[to + c] = sums[from + c] + v;
      squares[to + c] = squares[from + c] + v * v;
    }
  }

  /**
   * Add the sums over rows [rowFrom, rowTo) of columns [colFrom, colTo) to sum[c] and sumSquares[c]
   * (the caller zeroes them).
   */
  accumulate(rowFrom: number, rowTo: number, colFrom: number, colTo: number, sum: Float64Array, sumSquares: Float64Array): void {
    const a = rowFrom * this.nCols;
    const b = rowTo * this.nCols;
    const sums = this.sums;
    const squares = this.squares;
    for (let c = colFrom; c < colTo; c++) {
      sum[c] += sums[b + c] - sums[a + c];
      sumSquares[c] += squares[b + c] - squares[a + c];
    }
  }

  /** The store dropped its first `dropped` rows and keeps `keptRows`: shift the entries and re-base them on the new row 0. */
  dropRows(dropped: number, keptRows: number): void {
    const n = this.nCols;
    const entries = (keptRows + 1) * n;
    this.sums.copyWithin(0, dropped * n, dropped * n + entries);
    this.squares.copyWithin(0, dropped * n, dropped * n + entries);
    for (const a of [this.sums, this.squares]) {
      // row 0 last: the others subtract its value before it becomes 0
      for (let r = keptRows; r >= 0; r--) {
        for (let c = 0; c < n; c++) a[r * n + c] -= a[c];
      }
    }
  }
}
