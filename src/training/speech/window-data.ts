import type { FeatureSet } from './clip-features.js';

/** Feature windows of a set of clips, flattened for training: x is [n, frames, features]. */
export interface WindowData {
  x: Float32Array;
  /** Class index per window. */
  y: Int32Array;
  /** Index (into FeatureSet.clips) of each window's clip. */
  clipOf: Int32Array;
  n: number;
  frames: number;
  features: number;
}

export interface WindowSelection {
  /** Include augmented copies (training only). */
  augmented?: boolean;
  /** Only windows the voice-activity detector marked as speech (falls back to all of a clip's windows when it has none). */
  speechOnly?: boolean;
}

/** Indices of the windows a clip version contributes (speech windows, or all when none is speech). */
export function speechWindowIndices(speech: boolean[], speechOnly: boolean): number[] {
  const all = speech.map((_, i) => i);
  if (!speechOnly) return all;
  const sp = all.filter((i) => speech[i]);
  return sp.length > 0 ? sp : all;
}

export function collectWindows(fs: FeatureSet, clipIdx: readonly number[], labelOf: (clip: number) => number, sel: WindowSelection = {}): WindowData {
  const per = fs.framesPerWindow * fs.nFeatures;
  const picks: { clip: number; data: Float32Array; w: number }[] = [];
  for (const c of clipIdx) {
    const versions = sel.augmented ? fs.clips[c].versions : fs.clips[c].versions.slice(0, 1);
    for (const v of versions) for (const w of speechWindowIndices(v.speech, sel.speechOnly ?? true)) picks.push({ clip: c, data: v.data, w });
  }
  const x = new Float32Array(picks.length * per);
  const y = new Int32Array(picks.length);
  const clipOf = new Int32Array(picks.length);
  picks.forEach((p, i) => {
    x.set(p.data.subarray(p.w * per, (p.w + 1) * per), i * per);
    y[i] = labelOf(p.clip);
    clipOf[i] = p.clip;
  });
  return { x, y, clipOf, n: picks.length, frames: fs.framesPerWindow, features: fs.nFeatures };
}

/** Per-feature mean and std over every row of every window. */
export function featureStatistics(x: Float32Array, features: number): { mean: number[]; std: number[] } {
  const sum = new Float64Array(features);
  const sq = new Float64Array(features);
  const rows = x.length / features;
  for (let r = 0; r < rows; r++) {
    for (let f = 0; f < features; f++) {
      const v = x[r * features + f];
      sum[f] += v;
      sq[f] += v * v;
    }
  }
  const mean = Array.from(sum, (s) => s / rows);
  const std = Array.from(sq, (s, f) => Math.max(1e-3, Math.sqrt(Math.max(0, s / rows - mean[f] * mean[f]))));
  return { mean, std };
}

/** (x - mean) / std on the last axis, in place (the extractor's 'global' normalisation). */
export function normaliseInPlace(x: Float32Array, stats: { mean: number[]; std: number[] }): void {
  const f = stats.mean.length;
  for (let i = 0; i < x.length; i++) x[i] = (x[i] - stats.mean[i % f]) / stats.std[i % f];
}
