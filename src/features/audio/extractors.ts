import type { FramePlan } from './frame-plan.js';

/**
 * Named inputs shared by all per-frame extractors (computed once per frame by FrameAnalyzer),
 * in the spirit of Meyda: each feature is a small pure function of these.
 */
export interface FrameInputs {
  plan: FramePlan;
  /** The frameLength analysed samples (unwindowed) are samples[signalStart .. signalStart + frameLength). */
  samples: Float64Array;
  signalStart: number;
  /** Mean of the squared analysed samples (computed once, shared by rms and energyDb). */
  meanSquare: number;
  /** |FFT|^power of the windowed, nFft-padded frame, nFft/2 + 1 bins. */
  spectrum: Float64Array;
  /** Mel filterbank applied to `spectrum`, nMels values. */
  melSpectrum: Float64Array;
  /** power_to_db(melSpectrum) without top_db clipping, nMels values. */
  logMelDb: Float64Array;
}

export interface FrameExtractor {
  /** Number of values written. */
  width(plan: FramePlan): number;
  /** Writes width(plan) values to out[offset ..]. */
  extract(inputs: FrameInputs, out: Float64Array, offset: number): void;
}

/** Threshold below which |sample| counts as zero (librosa.zero_crossings default). */
const ZERO_CROSSING_THRESHOLD = 1e-10;
/** Floor of frame energy in dB (RMS 1e-5 = -100 dBFS), so digital silence stays finite. */
export const ENERGY_FLOOR_DB = -100;

/** Log-mel (dB, no top_db): librosa.power_to_db(melspectrogram). */
const logMel: FrameExtractor = {
  width: (p) => p.nMels,
  extract(i, out, offset) {
    const src = i.logMelDb;
    for (let m = 0; m < src.length; m++) out[offset + m] = src[m];
  },
};

/** MFCC: orthonormal DCT-II of the log-mel (librosa.feature.mfcc, dct_type=2, norm='ortho'). */
const mfcc: FrameExtractor = {
  width: (p) => p.nMfcc,
  extract(i, out, offset) {
    const { dct, nMfcc, nMels } = i.plan;
    if (nMfcc === 0) throw new Error('mfcc extractor used with features.mfcc disabled (no DCT matrix in the plan)');
    dctInto(dct, nMfcc, nMels, i.logMelDb, 0, out, offset);
  },
};

/** Root mean square of the analysed samples (librosa.feature.rms(y, center=False)). */
const rms: FrameExtractor = {
  width: () => 1,
  extract(i, out, offset) {
    out[offset] = Math.sqrt(i.meanSquare);
  },
};

/**
 * Zero-crossing rate (librosa.feature.zero_crossing_rate(center=False)): sign changes between
 * consecutive samples (|x| <= 1e-10 counts as 0, 0 counts as positive) divided by the frame length.
 */
const zcr: FrameExtractor = {
  width: () => 1,
  extract(i, out, offset) {
    const { samples, signalStart } = i;
    const n = i.plan.frameLength;
    let crossings = 0;
    let prevNegative = samples[signalStart] < -ZERO_CROSSING_THRESHOLD;
    for (let k = signalStart + 1; k < signalStart + n; k++) {
      const negative = samples[k] < -ZERO_CROSSING_THRESHOLD;
      if (negative !== prevNegative) crossings++;
      prevNegative = negative;
    }
    out[offset] = crossings / n;
  },
};

/** Frame energy in dBFS: 10*log10(mean square), floored at ENERGY_FLOOR_DB. Used by voice activity. */
const energyDb: FrameExtractor = {
  width: () => 1,
  extract(i, out, offset) {
    const ms = i.meanSquare;
    out[offset] = ms > 1e-10 ? 10 * Math.log10(ms) : ENERGY_FLOOR_DB;
  },
};

/**
 * Spectral flatness over the mel bands: geometric / arithmetic mean of max(amin, mel value), in (0, 1].
 * Near 1 for white noise, low for voiced speech. Used by voice activity.
 */
const melFlatness: FrameExtractor = {
  width: () => 1,
  extract(i, out, offset) {
    const { amin, refDb } = i.plan;
    const n = i.melSpectrum.length;
    let arith = 0;
    let logSum = 0;
    for (let m = 0; m < n; m++) {
      const v = i.melSpectrum[m];
      arith += v > amin ? v : amin;
      logSum += i.logMelDb[m] + refDb; // = 10*log10(max(amin, v))
    }
    const geometric = 10 ** (logSum / n / 10);
    out[offset] = geometric / (arith / n);
  },
};

/** Every per-frame extractor, by name. */
export const frameExtractors = {
  logMel,
  mfcc,
  rms,
  zcr,
  energyDb,
  melFlatness,
} as const satisfies Record<string, FrameExtractor>;

export type FrameExtractorName = keyof typeof frameExtractors;

/** out[outOffset + k] = sum_n dct[k][n] * src[srcOffset + n]. */
export function dctInto(
  dct: Float64Array,
  nOut: number,
  nIn: number,
  src: Float64Array,
  srcOffset: number,
  out: Float64Array,
  outOffset: number,
): void {
  for (let k = 0; k < nOut; k++) {
    let acc = 0;
    const row = k * nIn;
    for (let n = 0; n < nIn; n++) acc += dct[row + n] * src[srcOffset + n];
    out[outOffset + k] = acc;
  }
}
