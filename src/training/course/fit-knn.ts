import type { CsrMatrix } from '../../features/course/sparse-matrix.js';
import { KnnClassifier } from '../../inference/course/knn.js';

/** Fitting a k-NN classifier is keeping its training rows (the served model is src/inference/course/knn.ts). */
export function fitKnn(
  X: CsrMatrix,
  y: Int32Array,
  classes: number,
  k: number,
  weights: 'uniform' | 'distance',
  metric: 'euclidean' | 'cosine' = 'euclidean',
): KnnClassifier {
  return new KnnClassifier({
    type: 'knn',
    classes,
    k,
    weights,
    metric,
    cols: X.cols,
    indptr: Array.from(X.indptr),
    indices: Array.from(X.indices),
    values: Array.from(X.values),
    labels: Array.from(y),
  });
}
