import { chromaFilterbank, type ChromaFilterbank } from './dsp/chroma-filterbank.js';
import { contrastBands, type ContrastBand } from './dsp/contrast-bands.js';
import type { FramePlan } from './frame-plan.js';
import { CHROMA_BINS, SPECTRAL_CONTRAST_BANDS } from './feature-layout.js';

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

/** Tables that depend only on the frame plan, built on first use. */
function perPlan<T>(build: (plan: FramePlan) => T): (plan: FramePlan) => T {
  const cache = new WeakMap<FramePlan, T>();
  return (plan) => {
    let v = cache.get(plan);
    if (v === undefined) {
      v = build(plan);
      cache.set(plan, v);
    }
    return v;
  };
}

/** |X|^2 of bin k whatever the plan's spectrogram exponent. */
const powerAt = (i: FrameInputs, k: number): number => (i.plan.power === 2 ? i.spectrum[k] : i.spectrum[k] * i.spectrum[k]);
/** |X| of bin k whatever the plan's spectrogram exponent. */
const magnitudeAt = (i: FrameInputs, k: number): number => (i.plan.power === 1 ? i.spectrum[k] : Math.sqrt(i.spectrum[k]));

const chromaTables = perPlan<ChromaFilterbank>((p) => chromaFilterbank(p.settings.sampleRate, p.nFft, CHROMA_BINS, 0));

/**
 * Chroma (librosa.feature.chroma_stft(S=|X|^2, tuning=0.0), norm=inf): the chroma filterbank applied to
 * the power spectrum, each frame divided by its largest value (all-zero frames stay 0). Tuning is
 * fixed at A440: chroma_stft's default estimates it from the whole signal, which a stream cannot.
 */
const chroma: FrameExtractor = {
  width: () => CHROMA_BINS,
  extract(i, out, offset) {
    const { weights, nBins, nChroma } = chromaTables(i.plan);
    let max = 0;
    for (let c = 0; c < nChroma; c++) {
      let acc = 0;
      const row = c * nBins;
      for (let k = 0; k < nBins; k++) acc += weights[row + k] * powerAt(i, k);
      out[offset + c] = acc;
      if (Math.abs(acc) > max) max = Math.abs(acc);
    }
    if (max >= Number.MIN_VALUE) for (let c = 0; c < nChroma; c++) out[offset + c] /= max;
  },
};

const contrastTables = perPlan<{ bands: ContrastBand[]; sorted: Float64Array }>((p) => {
  const bands = contrastBands(p.settings.sampleRate, p.nFft, 200, SPECTRAL_CONTRAST_BANDS);
  return { bands, sorted: new Float64Array(Math.max(...bands.map((b) => b.count))) };
});
/** librosa.power_to_db defaults inside spectral_contrast. */
const CONTRAST_AMIN = 1e-10;
const toDb = (x: number) => 10 * Math.log10(x > CONTRAST_AMIN ? x : CONTRAST_AMIN);

/**
 * Spectral contrast (librosa.feature.spectral_contrast(S=|X|, fmin=200, n_bands=6, quantile=0.02)):
 * per octave band, power_to_db(mean of its largest values) - power_to_db(mean of its smallest), 7 values.
 * librosa clips each power_to_db at 80 dB below the whole signal's maximum (top_db=80); a stream cannot
 * know that maximum, so here nothing is clipped: the two agree whenever no band's peak or valley lies
 * more than 80 dB under the signal's largest (true of recorded speech; digital silence differs).
 */
const spectralContrast: FrameExtractor = {
  width: () => SPECTRAL_CONTRAST_BANDS + 1,
  extract(i, out, offset) {
    const { bands, sorted } = contrastTables(i.plan);
    bands.forEach((b, j) => {
      for (let k = 0; k < b.count; k++) sorted[k] = magnitudeAt(i, b.first + k);
      const view = sorted.subarray(0, b.count).sort();
      let valley = 0;
      let peak = 0;
      for (let k = 0; k < b.take; k++) {
        valley += view[k];
        peak += view[b.count - 1 - k];
      }
      out[offset + j] = toDb(peak / b.take) - toDb(valley / b.take);
    });
  },
};

/**
 * Spectral roll-off (librosa.feature.spectral_rolloff(S=|X|, roll_percent=0.85)): the lowest bin
 * frequency (Hz) at which the cumulative magnitude reaches 85 % of the frame's total.
 */
const spectralRolloff: FrameExtractor = {
  width: () => 1,
  extract(i, out, offset) {
    const { nBins, nFft } = i.plan;
    let total = 0;
    for (let k = 0; k < nBins; k++) total += magnitudeAt(i, k);
    const threshold = 0.85 * total;
    let cumulative = 0;
    let k = 0;
    for (; k < nBins - 1; k++) {
      cumulative += magnitudeAt(i, k);
      if (cumulative >= threshold) break;
    }
    out[offset] = (k * i.plan.settings.sampleRate) / nFft;
  },
};

/** Power spectrogram in dB, nFft/2 + 1 bins: librosa.power_to_db(|X|^2, top_db=None) (figures, not a model input). */
const spectrumDb: FrameExtractor = {
  width: (p) => p.nBins,
  extract(i, out, offset) {
    const { amin, refDb, nBins } = i.plan;
    for (let k = 0; k < nBins; k++) {
      const v = powerAt(i, k);
      out[offset + k] = 10 * Math.log10(v > amin ? v : amin) - refDb;
    }
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
  spectralContrast,
  chroma,
  spectralRolloff,
  spectrumDb,
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
