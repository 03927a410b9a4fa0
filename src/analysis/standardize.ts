/**
 * Column standardisation as scikit-learn's StandardScaler: mean and population standard deviation
 * (ddof 0) of each column of the rows it is fitted on; a constant column keeps scale 1.
 */
export interface Standardizer {
  mean: Float64Array;
  scale: Float64Array;
}

export function fitStandardizer(rows: readonly ArrayLike<number>[]): Standardizer {
  if (rows.length === 0) throw new Error('fitStandardizer: no rows');
  const p = rows[0].length;
  const mean = new Float64Array(p);
  const scale = new Float64Array(p);
  for (const r of rows) {
    if (r.length !== p) throw new Error(`fitStandardizer: rows of ${r.length} and ${p} values`);
    for (let j = 0; j < p; j++) mean[j] += r[j] / rows.length;
  }
  for (const r of rows) for (let j = 0; j < p; j++) scale[j] += (r[j] - mean[j]) ** 2 / rows.length;
  for (let j = 0; j < p; j++) scale[j] = scale[j] > 0 ? Math.sqrt(scale[j]) : 1;
  return { mean, scale };
}

export function standardizeRows(s: Standardizer, rows: readonly ArrayLike<number>[]): Float64Array[] {
  return rows.map((r) => Float64Array.from({ length: s.mean.length }, (_, j) => (r[j] - s.mean[j]) / s.scale[j]));
}
