import type { FitHistory } from '../fit.js';
import type { CascadeCalibration } from './cascade.js';
import type { ClassificationSummary } from './classification-summary.js';
import type { NoneGateCalibration } from './none-gate.js';

/** What `streamlens train image` returns and its report shows: one entry per model compared, and the shipped one. */
export interface TrainedModelResult {
  kind: 'zero-shot' | 'cnn' | 'transfer' | 'transfer-gated' | 'transfer-fast' | 'transfer-cascade' | 'transfer-cascade-gated' | 'transfer-ood-gated';
  validation: ClassificationSummary;
  test: ClassificationSummary;
  epochs?: number;
  bestEpoch?: number;
  history?: FitHistory;
}

export interface TrainImageResult {
  labels: string[];
  split: { train: number; validation: number; test: number; seed: number; testFraction: number; validationFraction: number };
  results: TrainedModelResult[];
  /** Summary of the image analyses in the report (absent with analyses: false). */
  analyses?: Record<string, unknown>;
  shipped: {
    kind: 'cnn' | 'transfer';
    labels: string[];
    /** Top-probability threshold below which the server answers "unknown"; null when the none gate replaces it. */
    unknownThreshold: number | null;
    /** Share of generated noise/solid/gradient images answered "unknown" or "none". */
    oodRejected: number;
    noneGate: NoneGateReport | null;
    onnxMaxAbsDiff: number;
    onnxBytes: number;
    /** The served cascade (null: the full model alone). */
    cascade: (CascadeCalibration & { downsample: number; testEscalated: number; fastOnnxBytes: number }) | null;
    dir?: string;
    version?: string;
  };
}

/** The "none of these" gate as shipped: calibration (validation) and what it rejects. */
export interface NoneGateReport extends NoneGateCalibration {
  /** Share of generated images answered "none", per kind and overall. */
  generatedRejected: Record<string, number>;
  /** Rendered SVG scenes (no animal): name -> answered label. */
  scenes: Record<string, string>;
  scenesRejected: number;
  /** Real non-animal photos given in options.oodPhotos: file -> answered label. */
  photos: Record<string, string>;
  photosRejected: number | null;
}
