/**
 * librosa.power_to_db without top_db: 10*log10(max(amin, S)) - 10*log10(max(amin, ref)),
 * in place over `values[from .. from+count)`.
 */
export function powerToDbInPlace(values: Float64Array, from: number, count: number, amin: number, ref: number): void {
  const refDb = 10 * Math.log10(Math.max(amin, ref));
  for (let i = from; i < from + count; i++) {
    const v = values[i];
    values[i] = 10 * Math.log10(v > amin ? v : amin) - refDb;
  }
}

/** Maximum of `values[from + r*stride + c]` over the given rows and `width` columns. */
export function blockMax(values: Float64Array, from: number, rows: number, stride: number, width: number): number {
  let max = -Infinity;
  for (let r = 0; r < rows; r++) {
    const base = from + r * stride;
    for (let c = 0; c < width; c++) if (values[base + c] > max) max = values[base + c];
  }
  return max;
}
