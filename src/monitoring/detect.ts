import { adjustPValues } from '../analysis/multiple-comparisons.js';
import { type ModelReference, type ObservationBatch, type PredictionBatch, OTHER_CATEGORY, CONFIDENCE_EDGES } from './reference.js';
import { chiSquareGoodnessOfFit, histogram, jensenShannon, ksAgainstQuantiles, psi, sortedFinite, wassersteinScaled } from './stats.js';

/**
 * Drift decision, per feature: PSI at or above `psiThreshold` (default 0.25, "major" by the usual
 * reading; 0.1 is "moderate" and only reported) AND the feature's test rejects "same distribution"
 * after Holm's correction over every test in the report (KS for numeric features, chi-squared
 * goodness of fit for categorical ones and the predicted labels) at `alpha` (default 0.05).
 * Requiring both keeps small windows (noisy PSI) and huge batches (tiny but "significant" shifts)
 * from raising alarms on their own.
 */
export interface DriftOptions {
  psiThreshold?: number;
  psiModerate?: number;
  alpha?: number;
  /** Fewer observations than this give no decision (drift false, reported as "insufficient"); the same holds per feature. */
  minObservations?: number;
}

export const DRIFT_DEFAULTS = { psiThreshold: 0.25, psiModerate: 0.1, alpha: 0.05, minObservations: 30 } as const;

export interface FeatureDrift {
  name: string;
  /** The scoring statistic: always "psi"; the test behind the decision is in `test`. */
  statistic: 'psi';
  score: number;
  threshold: number;
  drift: boolean;
  level: 'stable' | 'moderate' | 'major';
  test: { name: 'ks' | 'chi2'; statistic: number; pValue: number; adjustedP: number };
  /** Wasserstein-1 in reference IQRs (numeric) or Jensen-Shannon distance (categorical). */
  distance: { name: 'wasserstein_iqr' | 'jensen_shannon'; value: number };
  batch: { n: number; mean?: number };
  reference: { n: number; mean?: number };
}

export interface PredictionDrift {
  n: number;
  drift: boolean;
  labels: { name: string; reference: number; batch: number }[];
  /** PSI and Jensen-Shannon distance of the predicted-label shares; chi-squared test (Holm-adjusted with the features). */
  labelPsi: number;
  labelJensenShannon: number;
  labelTest: { statistic: number; pValue: number; adjustedP: number };
  /** Largest absolute change of one label's share. */
  maxShareChange: number;
  confidencePsi: number;
  meanConfidence: { reference: number; batch: number };
  unknownRate: { reference: number; batch: number };
}

export interface DriftReport {
  drift: boolean;
  model: string;
  version: string;
  media: string;
  observations: number;
  insufficient: boolean;
  options: Required<DriftOptions>;
  correction: 'holm';
  features: FeatureDrift[];
  driftingFeatures: number;
  /** Largest feature PSI: the one "drift score" of the window. */
  score: number;
  predictions?: PredictionDrift;
}

/** What detectDrift reads: an ObservationBatch / PredictionBatch, or typed columns (the live window rings, read without copying). */
export interface DriftInput {
  numeric: Record<string, ArrayLike<number>>;
  categorical: Record<string, readonly string[]>;
}
export interface DriftPredictions {
  labels: readonly string[];
  confidences: ArrayLike<number>;
  unknown: ArrayLike<boolean | number>;
}

export function detectDrift(ref: ModelReference, batch: DriftInput | ObservationBatch, predictions?: DriftPredictions | PredictionBatch, options: DriftOptions = {}): DriftReport {
  const o = { ...DRIFT_DEFAULTS, ...options };
  const rows: Omit<FeatureDrift, 'drift' | 'test'>[] = [];
  const tests: { name: 'ks' | 'chi2'; statistic: number; pValue: number }[] = [];
  let observations = 0;
  for (const f of ref.features) {
    if (f.kind === 'numeric') {
      const values = sortedFinite(batch.numeric[f.name] ?? []);
      observations = Math.max(observations, values.length);
      const ks = ksAgainstQuantiles({ ...f.quantiles, n: f.n }, values, true);
      const score = psi(f.shares, histogram(values, f.edges));
      tests.push({ name: 'ks', ...ks });
      rows.push({
        name: f.name,
        statistic: 'psi',
        score,
        threshold: o.psiThreshold,
        level: level(score, o),
        distance: { name: 'wasserstein_iqr', value: wassersteinScaled(f.quantiles, values, true) },
        batch: { n: values.length, mean: values.length ? sum(values) / values.length : undefined },
        reference: { n: f.n, mean: f.mean },
      });
    } else {
      const values = batch.categorical[f.name] ?? [];
      observations = Math.max(observations, values.length);
      const counts = categoryCounts(f.categories, values);
      const chi = chiSquareGoodnessOfFit(f.shares, counts);
      const score = psi(f.shares, counts);
      tests.push({ name: 'chi2', statistic: chi.statistic, pValue: chi.pValue });
      rows.push({
        name: f.name,
        statistic: 'psi',
        score,
        threshold: o.psiThreshold,
        level: level(score, o),
        distance: { name: 'jensen_shannon', value: jensenShannon(f.shares, counts) },
        batch: { n: values.length },
        reference: { n: f.n },
      });
    }
  }
  let labelChi: { statistic: number; pValue: number } | undefined;
  let labelCounts: number[] = [];
  const out = ref.outputs;
  if (out && predictions && predictions.labels.length > 0) {
    const counted = new Map<string, number>();
    predictions.labels.forEach((x, i) => {
      if (!predictions.unknown[i]) counted.set(x, (counted.get(x) ?? 0) + 1);
    });
    labelCounts = out.labels.map((l) => counted.get(l) ?? 0);
    labelChi = chiSquareGoodnessOfFit(out.labelShares, labelCounts);
  }
  const pValues = [...tests.map((t) => t.pValue), ...(labelChi ? [labelChi.pValue] : [])];
  const adjusted = pValues.length ? adjustPValues(pValues, 'holm', o.alpha).adjusted : [];
  const insufficient = observations < o.minObservations;
  const features: FeatureDrift[] = rows.map((r, i) => ({
    ...r,
    test: { ...tests[i], adjustedP: adjusted[i] },
    // A feature observed more sparsely than the window (image embeddings: 1 photo in N) decides only with enough values of its own.
    drift: !insufficient && r.batch.n >= o.minObservations && r.score >= o.psiThreshold && adjusted[i] < o.alpha,
  }));
  let predictionDrift: PredictionDrift | undefined;
  if (out && predictions && labelChi) {
    const known = labelCounts.reduce((a, b) => a + b, 0);
    const batchShares = labelCounts.map((c) => c / Math.max(1, known));
    const labelPsi = psi(out.labelShares, labelCounts);
    const adjustedP = adjusted[adjusted.length - 1];
    const n = predictions.labels.length;
    predictionDrift = {
      n,
      drift: n >= o.minObservations && labelPsi >= o.psiThreshold && adjustedP < o.alpha,
      labels: out.labels.map((name, i) => ({ name, reference: out.labelShares[i], batch: batchShares[i] })),
      labelPsi,
      labelJensenShannon: jensenShannon(out.labelShares, labelCounts),
      labelTest: { ...labelChi, adjustedP },
      maxShareChange: Math.max(...out.labelShares.map((s, i) => Math.abs(s - batchShares[i]))),
      confidencePsi: psi(out.confidenceShares, histogram(predictions.confidences, out.confidenceEdges ?? CONFIDENCE_EDGES)),
      meanConfidence: { reference: out.meanConfidence, batch: sum(predictions.confidences) / Math.max(1, n) },
      unknownRate: { reference: out.unknownRate, batch: sum(Array.from(predictions.unknown, Number)) / Math.max(1, n) },
    };
  }
  const driftingFeatures = features.filter((f) => f.drift).length;
  return {
    drift: driftingFeatures > 0 || Boolean(predictionDrift?.drift),
    model: ref.model,
    version: ref.version,
    media: ref.media,
    observations,
    insufficient,
    options: o,
    correction: 'holm',
    features,
    driftingFeatures,
    score: features.reduce((m, f) => Math.max(m, f.score), 0),
    predictions: predictionDrift,
  };
}

function sum(x: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += x[i];
  return s;
}

function level(score: number, o: { psiThreshold: number; psiModerate: number }): FeatureDrift['level'] {
  return score >= o.psiThreshold ? 'major' : score >= o.psiModerate ? 'moderate' : 'stable';
}

function categoryCounts(categories: readonly string[], values: readonly string[]): number[] {
  const index = new Map(categories.map((c, i) => [c, i]));
  const other = index.get(OTHER_CATEGORY) ?? categories.length - 1;
  const counts = new Array<number>(categories.length).fill(0);
  for (const v of values) counts[index.get(v) ?? other]++;
  return counts;
}
