import type { EmbeddingSummary } from './embedding.js';
import { quantileEdges, histogram, quantileSorted } from './stats.js';

/**
 * A model version's training reference (reference.json beside manifest.json): the distributions of
 * what the model was trained on (per monitored input feature) and of its outputs on that data.
 * Small by design: per numeric feature, 10 equal-frequency bins and 41 quantiles; per categorical
 * feature, its category shares.
 */
export const REFERENCE_SCHEMA = 1;
export const QUANTILE_PROBS = Array.from({ length: 41 }, (_, i) => i / 40);
export const CONFIDENCE_EDGES = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9];
export const OTHER_CATEGORY = '__other__';

export type Media = 'audio' | 'image' | 'course';

export interface NumericFeatureReference {
  name: string;
  kind: 'numeric';
  n: number;
  mean: number;
  std: number;
  /** Interior bin edges (equal-frequency on the training data) and the training share of each bin. */
  edges: number[];
  shares: number[];
  quantiles: { probs: number[]; values: number[] };
}

export interface CategoricalFeatureReference {
  name: string;
  kind: 'categorical';
  n: number;
  /** Categories seen in training, plus OTHER_CATEGORY for anything else (share 0 in training). */
  categories: string[];
  shares: number[];
}

export type FeatureReference = NumericFeatureReference | CategoricalFeatureReference;

export interface OutputReference {
  n: number;
  labels: string[];
  /** Share of each predicted label (top class; "unknown" answers excluded), in `labels` order. */
  labelShares: number[];
  /** Top-class probability histogram over CONFIDENCE_EDGES (10 bins). */
  confidenceEdges: number[];
  confidenceShares: number[];
  meanConfidence: number;
  /** Share of answers below the model's unknown threshold (0 when it has none). */
  unknownRate: number;
}

export interface ModelReference {
  schema: typeof REFERENCE_SCHEMA;
  model: string;
  version: string;
  media: Media;
  /** What one observation is: an audio feature window, an image, a course record. */
  unit: 'window' | 'image' | 'record';
  source: { data: string; split: string; items: number; observations: number };
  features: FeatureReference[];
  outputs?: OutputReference;
  /** Image models: the backbone-embedding summary behind the emb_* features (src/monitoring/embedding.ts). */
  embedding?: EmbeddingSummary;
  created: string;
}

/** A batch of observations: numeric and categorical columns, keyed by feature name. */
export interface ObservationBatch {
  numeric: Record<string, number[]>;
  categorical: Record<string, string[]>;
}

/** The model's answers on the same observations. */
export interface PredictionBatch {
  labels: string[];
  confidences: number[];
  unknown: boolean[];
}

export function numericReference(name: string, values: readonly number[], bins = 10): NumericFeatureReference {
  const finite = values.filter(Number.isFinite);
  if (finite.length === 0) throw new Error(`reference: feature ${name} has no finite values`);
  const s = [...finite].sort((a, b) => a - b);
  const n = s.length;
  const mean = s.reduce((a, b) => a + b, 0) / n;
  const std = Math.sqrt(s.reduce((a, b) => a + (b - mean) ** 2, 0) / Math.max(1, n - 1));
  const edges = quantileEdges(s, bins);
  const counts = histogram(s, edges);
  return {
    name,
    kind: 'numeric',
    n,
    mean: round(mean),
    std: round(std),
    edges: edges.map(round),
    shares: counts.map((c) => round(c / n)),
    quantiles: { probs: QUANTILE_PROBS, values: QUANTILE_PROBS.map((p) => round(quantileSorted(s, p))) },
  };
}

export function categoricalReference(name: string, values: readonly string[]): CategoricalFeatureReference {
  const counts = new Map<string, number>();
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
  const categories = [...counts.keys()].sort();
  return {
    name,
    kind: 'categorical',
    n: values.length,
    categories: [...categories, OTHER_CATEGORY],
    shares: [...categories.map((c) => round(counts.get(c)! / values.length)), 0],
  };
}

export function outputReference(labels: readonly string[], p: PredictionBatch): OutputReference {
  const n = p.labels.length;
  const known = p.labels.filter((_, i) => !p.unknown[i]);
  const labelCounts = labels.map((l) => known.filter((k) => k === l).length);
  const confCounts = histogram(p.confidences, CONFIDENCE_EDGES);
  return {
    n,
    labels: [...labels],
    labelShares: labelCounts.map((c) => round(c / Math.max(1, known.length))),
    confidenceEdges: CONFIDENCE_EDGES,
    confidenceShares: confCounts.map((c) => round(c / Math.max(1, n))),
    meanConfidence: round(p.confidences.reduce((a, b) => a + b, 0) / Math.max(1, n)),
    unknownRate: round(p.unknown.filter(Boolean).length / Math.max(1, n)),
  };
}

export function buildReference(
  meta: Omit<ModelReference, 'schema' | 'features' | 'outputs' | 'created' | 'source' | 'embedding'> & { source: Omit<ModelReference['source'], 'observations'> },
  batch: ObservationBatch,
  labels?: readonly string[],
  predictions?: PredictionBatch,
  embedding?: EmbeddingSummary,
): ModelReference {
  const features: FeatureReference[] = [
    ...Object.entries(batch.numeric).map(([k, v]) => numericReference(k, v)),
    ...Object.entries(batch.categorical).map(([k, v]) => categoricalReference(k, v)),
  ];
  const observations = features[0]?.n ?? 0;
  return {
    schema: REFERENCE_SCHEMA,
    ...meta,
    source: { ...meta.source, observations },
    features,
    outputs: labels && predictions ? outputReference(labels, predictions) : undefined,
    ...(embedding ? { embedding } : {}),
    created: new Date().toISOString(),
  };
}

function round(x: number): number {
  return Number.isFinite(x) ? Number(x.toPrecision(6)) : x;
}
