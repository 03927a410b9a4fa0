/**
 * "None of these" for the animal model by default (issue 26): a Mahalanobis gate on each served
 * graph's backbone embedding (class-conditional Gaussians with a shared covariance, Lee et al. 2018;
 * class-gaussians.ts), appended to the ONNX graph itself (src/inference/onnx/distance-gate.ts), so
 * the manifest's interface, the cascade and the stage are unchanged:
 *  - the last stage (the full model) keeps GATE_KEEP_VALIDATION of the validation photos; beyond its
 *    distance it answers the uniform distribution, below the unknown threshold: "unknown";
 *  - the cascade's fast stage gate only routes: a photo beyond FAST_GATE_KEEP_VALIDATION's distance
 *    gets the uniform distribution, below the cascade threshold, and escalates to the full model.
 * The Gaussians are fitted on the training photos (originals, no augmentation); both distances are
 * chosen on the validation photos alone (never on non-animal photos, never on the test photos).
 * Measured on real non-animal photos by `npm run bench -- image-ood` (BENCHMARKS.md).
 */
import { decodeResizedRgb, normaliseRgb } from '../../features/image/preprocess.js';
import type { ImageFeatureSettings } from '../../features/image/settings.js';
import { appendDistanceGate, gateDistance, gateWhitening } from '../../inference/onnx/distance-gate.js';
import { createOnnxSession } from '../../inference/onnx-session.js';
import { embeddingGraph, headInputName } from '../../monitoring/embedding.js';
import { fitClassGaussians, type CovarianceKind } from './class-gaussians.js';

/**
 * Validation photos the full model's gate keeps (the rest answer "unknown"). 0.98 (2 of the 122
 * validation photos beyond it): the most kept among 0.97 / 0.98 / 0.99 / 1 that still answers at
 * least 95% of the choice half of the non-animal photos "unknown" (animal/4, BENCHMARKS.md); 0.97 before.
 */
export const GATE_KEEP_VALIDATION = 0.98;
/**
 * Validation photos the fast stage's gate lets it answer (the rest escalate). Chosen among 0.8-1 on
 * one half of the non-animal photos (0.8 and 0.9 rejected the most; 0.9 escalates fewer animals), the
 * other half held out (BENCHMARKS.md).
 */
export const FAST_GATE_KEEP_VALIDATION = 0.9;
/** Shrinkage of each covariance towards its mean variance (fixed, as in the image-ood bench; not tuned). */
export const GATE_SHRINKAGE = 0.1;
/** One covariance per class (chosen over a shared one on half of the non-animal photos; BENCHMARKS.md). */
export const GATE_COVARIANCE: CovarianceKind = 'per-class';

/**
 * The unknown threshold of a gated model. The gate answers the uniform distribution (top 1/K), so any
 * threshold above 1/K reads it "unknown"; 1.2/K (0.4 for 3 classes) keeps float rounding far from it.
 * The threshold no longer also rejects uncertain animals: with the gate in the graph, a threshold
 * calibrated on validation (0.517 for animal/3-4) answered no more non-animal photos "unknown" on the
 * choice half but 3 held-out animals that the ensemble head answers correctly (BENCHMARKS.md).
 */
export function unknownThresholdBehindGate(classes: number): number {
  if (!(Number.isInteger(classes) && classes >= 2)) throw new Error(`gate: classes must be a whole number >= 2, got ${classes}`);
  return Number((1.2 / classes).toFixed(6));
}

/** How the manifest describes the gate (training.oodGate.method). */
export const OOD_GATE_METHOD =
  'Mahalanobis distance of the head-input embedding to the nearest class mean (class-conditional Gaussians, each covariance shrunk towards its mean variance; Lee et al. 2018), in the ONNX graph: beyond maxDistance the graph answers the uniform distribution (the fast stage escalates it, the full model answers "unknown")';

/** What one graph's gate is, as the manifest records it (training.oodGate.stages). */
export interface StageGateCalibration {
  /** The graph value the distance is taken on (the head's input) and its width. */
  embedding: string;
  dims: number;
  covariance: CovarianceKind;
  shrinkage: number;
  keepValidation: number;
  /** Largest Mahalanobis distance to the nearest class mean still answered. */
  maxDistance: number;
  /** Share of the validation photos within maxDistance. */
  validationKept: number;
  trainPhotos: number;
}

/** The embeddings (the head's input) of image files through an ONNX classifier graph, in batches. */
export async function embedImageFiles(onnx: Uint8Array, s: ImageFeatureSettings, files: ReadonlyArray<string | Buffer>, batchSize = 16): Promise<{ embedding: string; rows: Float32Array[] }> {
  const embedding = headInputName(onnx);
  const session = await createOnnxSession(embeddingGraph(onnx, embedding), { rewrite: false });
  const size = s.width * s.height * 3;
  const rows: Float32Array[] = [];
  try {
    for (let start = 0; start < files.length; start += batchSize) {
      const chunk = files.slice(start, start + batchSize);
      const x = new Float32Array(chunk.length * size);
      for (let i = 0; i < chunk.length; i++) normaliseRgb((await decodeResizedRgb(chunk[i], s)).rgb, s, x, i * size);
      const r = await session.run(x, [chunk.length, s.height, s.width, 3]);
      const d = r.data.length / chunk.length;
      for (let i = 0; i < chunk.length; i++) rows.push(r.data.slice(i * d, (i + 1) * d));
    }
  } finally {
    await session.dispose();
  }
  return { embedding, rows };
}

/**
 * The distance keeping at least `keep` of `distances` (at or below it), widened by 1e-5 relative so
 * that float32 rounding in the served graph does not drop the photo it came from.
 */
export function calibrateMaxDistance(distances: readonly number[], keep: number): { maxDistance: number; kept: number } {
  if (!(keep > 0 && keep <= 1)) throw new Error(`gate: keep must be in (0, 1], got ${keep}`);
  if (distances.length === 0) throw new Error('gate: no validation distances');
  const sorted = [...distances].sort((a, b) => a - b);
  const at = sorted[Math.max(0, Math.ceil(keep * sorted.length - 1e-9) - 1)];
  const maxDistance = Number((at * (1 + 1e-5)).toPrecision(7));
  return { maxDistance, kept: sorted.filter((x) => x <= maxDistance).length / sorted.length };
}

/**
 * Fits the class Gaussians on `train` (files with class indices), calibrates the distance on the
 * validation files and returns the graph with the gate appended.
 */
export async function gateGraph(
  onnx: Uint8Array,
  s: ImageFeatureSettings,
  train: { files: readonly string[]; y: readonly number[] },
  validationFiles: readonly string[],
  classes: number,
  keep: number,
  covariance: CovarianceKind,
): Promise<{ onnx: Uint8Array; calibration: StageGateCalibration }> {
  const { embedding, rows } = await embedImageFiles(onnx, s, train.files);
  const g = fitClassGaussians(rows, train.y, classes, GATE_SHRINKAGE, covariance);
  // Calibrated on the distance the graph computes (under the float16-rounded whitening).
  const whitening = gateWhitening(g.factors, g.d);
  const validation = (await embedImageFiles(onnx, s, validationFiles)).rows.map((e) => gateDistance(whitening, g.means, e));
  const { maxDistance, kept } = calibrateMaxDistance(validation, keep);
  return {
    onnx: appendDistanceGate(onnx, { whitening, means: g.means, maxDistance, embedding }),
    calibration: { embedding, dims: g.d, covariance, shrinkage: GATE_SHRINKAGE, keepValidation: keep, maxDistance, validationKept: kept, trainPhotos: train.files.length },
  };
}

/** The served graphs of an image version: the full model and, with a cascade, its fast stage. */
export interface ServedGraphs {
  onnx: Uint8Array;
  fastOnnx?: Uint8Array;
}

/** Both served graphs with their gates (the fast stage's only routes), fitted on `split.train`, calibrated on `split.validation`. */
export async function gateServedGraphs(
  graphs: ServedGraphs,
  s: ImageFeatureSettings,
  split: { train: readonly { file: string; label: string }[]; validation: readonly { file: string }[] },
  labels: readonly string[],
): Promise<ServedGraphs & { gates: { full: StageGateCalibration; fast: StageGateCalibration | null } }> {
  const train = { files: split.train.map((i) => i.file), y: split.train.map((i) => labels.indexOf(i.label)) };
  if (train.y.some((y) => y < 0)) throw new Error(`gate: a training photo's class is not a label of the model (${labels.join(', ')})`);
  const validation = split.validation.map((i) => i.file);
  const full = await gateGraph(graphs.onnx, s, train, validation, labels.length, GATE_KEEP_VALIDATION, GATE_COVARIANCE);
  const fast = graphs.fastOnnx ? await gateGraph(graphs.fastOnnx, s, train, validation, labels.length, FAST_GATE_KEEP_VALIDATION, GATE_COVARIANCE) : null;
  return { onnx: full.onnx, ...(fast ? { fastOnnx: fast.onnx } : {}), gates: { full: full.calibration, fast: fast?.calibration ?? null } };
}
