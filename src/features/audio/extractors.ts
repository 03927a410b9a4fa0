import FFT from 'fft.js';
import { chromaFilterbank, type ChromaFilterbank } from './dsp/chroma-filterbank.js';
import { contrastBands, type ContrastBand } from './dsp/contrast-bands.js';
import { foldedDctInto } from './dsp/dct.js';
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
    const { dct, nMfcc } = i.plan;
    if (nMfcc === 0) throw new Error('mfcc extractor used with features.mfcc disabled (no DCT matrix in the plan)');
    foldedDctInto(dct, i.logMelDb, 0, out, offset);
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
    // 0/1 sign flags and xor instead of a branch: speech changes sign unpredictably, so a branch mispredicts
    let prevNegative = samples[signalStart] < -ZERO_CROSSING_THRESHOLD ? 1 : 0;
    for (let k = signalStart + 1; k < signalStart + n; k++) {
      const negative = samples[k] < -ZERO_CROSSING_THRESHOLD ? 1 : 0;
      crossings += negative ^ prevNegative;
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

/** Speech band of the voice-activity band energy (Hz): above mains hum and rumble, below most hiss. */
export const VOICE_BAND_HZ = [150, 4000] as const;
/** Pitch range searched by the voice-activity periodicity (Hz). */
export const VOICE_PITCH_HZ = [70, 400] as const;
/** The periodicity is measured on the frame band-passed to this range (Hz), as pitch trackers do. */
const PERIODICITY_BAND_HZ = [60, 1000] as const;

interface PeriodicityTable {
  fft: FFT;
  size: number;
  /** Per-bin weight of the band-pass (raised-cosine edges), size / 2 + 1 bins. */
  weight: Float64Array;
  /** Autocorrelation of the analysis window, normalised to 1 at lag 0 (Boersma 1993). */
  windowAcf: Float64Array;
  minLag: number;
  maxLag: number;
  input: Float64Array;
  spectrum: Float64Array;
  /** The bins of non-zero weight, and per lag minLag - 1 .. maxLag + 1 their cosines cos(2 pi k lag / size). */
  bins: Int32Array;
  cosines: Float64Array;
  /** Weighted power of `bins` of the current frame, and its autocorrelation at lags minLag - 1 .. maxLag + 1. */
  power: Float64Array;
  acf: Float64Array;
}

const periodicityTables = perPlan<PeriodicityTable>((p) => {
  const sr = p.settings.sampleRate;
  let size = 2;
  while (size < 2 * p.frameLength) size *= 2; // no circular aliasing for lags < size - frameLength
  const fft = new FFT(size);
  const bins = size / 2 + 1;
  const weight = new Float64Array(bins);
  const [lo, hi] = PERIODICITY_BAND_HZ;
  const edge = 40;
  for (let k = 0; k < bins; k++) {
    const f = (k * sr) / size;
    if (f < lo - edge || f > hi + edge) continue;
    if (f < lo) weight[k] = 0.5 - 0.5 * Math.cos((Math.PI * (f - lo + edge)) / edge);
    else if (f > hi) weight[k] = 0.5 - 0.5 * Math.cos((Math.PI * (hi + edge - f)) / edge);
    else weight[k] = 1;
  }
  const table: PeriodicityTable = {
    fft,
    size,
    weight,
    windowAcf: new Float64Array(size),
    minLag: Math.floor(sr / VOICE_PITCH_HZ[1]),
    maxLag: Math.min(Math.ceil(sr / VOICE_PITCH_HZ[0]), p.frameLength - 2),
    input: new Float64Array(size),
    spectrum: new Float64Array(2 * size),
    bins: new Int32Array(0),
    cosines: new Float64Array(0),
    power: new Float64Array(0),
    acf: new Float64Array(0),
  };
  // The band-pass leaves a few dozen bins, so the autocorrelation is their cosine sum (the inverse DFT of a
  // real, even spectrum restricted to them): far cheaper than an inverse FFT of `size` points.
  if (weight[0] > 0 || weight[size / 2] > 0) throw new Error('voice measures: the periodicity band must leave out bin 0 and the Nyquist bin');
  const banded: number[] = [];
  for (let k = 1; k < size / 2; k++) if (weight[k] > 0) banded.push(k);
  table.bins = Int32Array.from(banded);
  const lags = table.maxLag - table.minLag + 3;
  table.cosines = new Float64Array(lags * banded.length);
  for (let l = 0; l < lags; l++) {
    const lag = table.minLag - 1 + l;
    for (let j = 0; j < banded.length; j++) table.cosines[l * banded.length + j] = Math.cos((2 * Math.PI * banded[j] * lag) / size);
  }
  table.power = new Float64Array(banded.length);
  table.acf = new Float64Array(lags);
  // autocorrelation of the window itself (unfiltered), for the Boersma correction
  const w = new Float64Array(p.frameLength);
  for (let k = 0; k < p.frameLength; k++) w[k] = p.window[p.windowOffset + k];
  for (let lag = 0; lag < p.frameLength; lag++) {
    let acc = 0;
    for (let k = 0; k + lag < p.frameLength; k++) acc += w[k] * w[k + lag];
    table.windowAcf[lag] = acc;
  }
  const w0 = table.windowAcf[0];
  for (let lag = 0; lag < p.frameLength; lag++) table.windowAcf[lag] /= w0;
  return table;
});

/**
 * Voice-activity measures, 3 values:
 *  [0] speech-band energy in dBFS: the frame energy times the share of its power spectrum in
 *      VOICE_BAND_HZ, floored at ENERGY_FLOOR_DB (rumble, DC drift and mains hum barely move it);
 *  [1] periodicity in [0, 1]: the largest local maximum, for lags of VOICE_PITCH_HZ, of the normalised
 *      autocorrelation of the mean-removed, windowed frame band-passed to 60..1000 Hz, divided by the
 *      window's own autocorrelation (Boersma 1993). Near 1 for voiced speech (and any periodic sound),
 *      low for noise and clicks;
 *  [2] the frequency (Hz) of that maximum's lag (parabolic interpolation), 0 when there is none: the
 *      pitch or, as a periodic signal correlates about as well at two or three periods, a subharmonic
 *      of it (voice activity only compares it from frame to frame).
 */
const voiceMeasures: FrameExtractor = {
  width: () => 3,
  extract(i, out, offset) {
    const p = i.plan;
    const sr = p.settings.sampleRate;
    // [0] speech-band energy from the frame's spectrum
    const kLo = Math.ceil((VOICE_BAND_HZ[0] * p.nFft) / sr);
    const kHi = Math.floor((VOICE_BAND_HZ[1] * p.nFft) / sr);
    let total = 0;
    let band = 0;
    for (let k = 0; k < p.nBins; k++) {
      const v = powerAt(i, k);
      total += v;
      if (k >= kLo && k <= kHi) band += v;
    }
    const bandMs = total > 0 ? (i.meanSquare * band) / total : 0;
    out[offset] = bandMs > 1e-10 ? 10 * Math.log10(bandMs) : ENERGY_FLOOR_DB;

    // [1] periodicity
    const t = periodicityTables(p);
    const n = p.frameLength;
    const { samples, signalStart } = i;
    let mean = 0;
    for (let k = 0; k < n; k++) mean += samples[signalStart + k];
    mean /= n;
    const input = t.input;
    for (let k = 0; k < n; k++) input[k] = (samples[signalStart + k] - mean) * p.window[p.windowOffset + k];
    t.fft.realTransform(t.spectrum, input);
    const { bins, cosines, power, acf } = t;
    const nb = bins.length;
    let r0 = 0;
    for (let j = 0; j < nb; j++) {
      const k = bins[j];
      const re = t.spectrum[2 * k];
      const im = t.spectrum[2 * k + 1];
      power[j] = t.weight[k] * (re * re + im * im);
      r0 += power[j];
    }
    for (let l = 0; l < acf.length; l++) {
      let acc = 0;
      const row = l * nb;
      for (let j = 0; j < nb; j++) acc += power[j] * cosines[row + j];
      acf[l] = acc;
    }
    let best = 0;
    let pitch = 0;
    if (r0 > 1e-20) {
      // acf[l] holds lag minLag - 1 + l
      const r = (lag: number) => acf[lag - t.minLag + 1] / r0 / t.windowAcf[lag];
      let prev = r(t.minLag - 1);
      let cur = r(t.minLag);
      for (let lag = t.minLag; lag <= t.maxLag; lag++) {
        const next = r(lag + 1);
        if (cur >= prev && cur >= next && cur > best) {
          best = cur;
          // parabolic interpolation of the peak position
          const curvature = prev - 2 * cur + next;
          const shift = curvature < 0 ? (0.5 * (prev - next)) / curvature : 0;
          pitch = sr / (lag + shift);
        }
        prev = cur;
        cur = next;
      }
    }
    out[offset + 1] = best > 1 ? 1 : best;
    out[offset + 2] = pitch;
  },
};

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
  voiceMeasures,
  spectralContrast,
  chroma,
  spectralRolloff,
  spectrumDb,
} as const satisfies Record<string, FrameExtractor>;

export type FrameExtractorName = keyof typeof frameExtractors;
