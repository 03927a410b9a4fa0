import { z } from 'zod';
import { PIPELINE_SAMPLE_RATE } from '../../core/audio-format.js';
import { SPECTRAL_CONTRAST_BANDS, featureLayout } from './feature-layout.js';

/**
 * Settings of the audio feature extractor. The model manifest stores the parsed object, and serving
 * calls `assertReproducible` before it computes a single feature: a model trained on features that
 * this code cannot compute the same way must be refused, never silently approximated.
 *
 * Defaults follow librosa 0.10 (`librosa.feature.melspectrogram` / `mfcc` / `delta` / `rms` /
 * `zero_crossing_rate`) with `center=False` framing, which is what streaming needs: frame i covers
 * samples [i*hopLength, i*hopLength + nFft), and the `frameLength`-sample analysis window sits centred
 * inside it (exactly as librosa pads a `win_length` window to `n_fft`). RMS and zero-crossing rate are
 * computed over the same `frameLength` samples the analysis window covers.
 */

const vadSchema = z
  .object({
    /**
     * 'voiced' (default): speech frames are voiced frames (sustained periodicity, pitch 70..400 Hz, above the
     * speech-band noise floor) and the unvoiced frames just after them, and steady-pitch sound (tones, held
     * notes) is not speech; 'energy': the original energy + flatness detector. See voice-activity.ts.
     */
    kind: z.enum(['voiced', 'energy']).default('voiced'),
    /** A frame can only be speech when its energy exceeds noise floor + this margin (dB). */
    marginDb: z.number().min(0).default(8),
    /** ... and exceeds this absolute level (dB relative to full scale, RMS of the frame). */
    absoluteThresholdDb: z.number().max(0).default(-60),
    /** ... and its mel-spectral flatness (geometric / arithmetic mean of mel power, 0..1) is below this. */
    maxSpectralFlatness: z.number().gt(0).max(1).default(0.5),
    /** How fast the noise floor estimate may rise while the signal is above it (dB per second). */
    noiseFloorRiseDbPerSecond: z.number().positive().default(5),
    /** A window is speech when at least this many seconds of its frames are speech frames. */
    minSpeechSeconds: z.number().positive().default(0.25),
    /** 'voiced': a voiced frame's speech-band energy must exceed the speech-band noise floor by this (dB). */
    voicedMarginDb: z.number().min(0).default(4),
    /** 'voiced': the least periodicity (0..1) of a voiced frame and of every frame of the last `voicingSeconds`. */
    minPeriodicity: z.number().gt(0).max(1).default(0.6),
    voicingSeconds: z.number().positive().default(0.06),
    /** 'voiced': frames up to this long after a voiced frame are speech when above floor + marginDb. */
    hangoverSeconds: z.number().min(0).default(0.16),
    /** 'voiced': a periodic frame pair is steady when its pitch changes by less than this (natural log per second). */
    steadyPitchPerSecond: z.number().positive().default(0.5),
    /** 'voiced': nothing is speech while more than this fraction of the recent periodic pairs are steady. */
    maxSteadyPitchFraction: z.number().gt(0).max(1).default(0.3),
    pitchHistorySeconds: z.number().positive().default(1),
  })
  .strict();

const normalizationSchema = z.discriminatedUnion('kind', [
  /** Features as computed. */
  z.object({ kind: z.literal('none') }).strict(),
  /** Per window: subtract each feature's mean over the window's real frames, optionally divide by its std. */
  z
    .object({
      kind: z.literal('perWindowCmvn'),
      variance: z.boolean().default(true),
      /** Lower bound of the std used for division, so constant features (silence) stay finite. */
      minStd: z.number().positive().default(1e-5),
    })
    .strict(),
  /** Global statistics (from the training set, stored in the model manifest): (x - mean) / std. */
  z
    .object({
      kind: z.literal('global'),
      mean: z.array(z.number()),
      std: z.array(z.number()),
    })
    .strict(),
]);

export const audioFeatureSettingsSchema = z
  .object({
    sampleRate: z.number().int().positive().default(PIPELINE_SAMPLE_RATE),
    /** Analysis window length in samples (librosa `win_length`), 400 = 25 ms at 16 kHz. */
    frameLength: z.number().int().positive().default(400),
    /** Frame hop in samples (librosa `hop_length`), 160 = 10 ms at 16 kHz. */
    hopLength: z.number().int().positive().default(160),
    /** FFT size (librosa `n_fft`); the analysis window is zero-padded to it, centred. */
    nFft: z.number().int().positive().default(512),
    /** Periodic window (`scipy.signal.get_window(name, frameLength, fftbins=True)`), as librosa. */
    window: z.enum(['hann', 'hamming']).default('hann'),
    /** Spectrogram exponent: 2 = power, 1 = magnitude (librosa `power`). */
    power: z.union([z.literal(1), z.literal(2)]).default(2),
    nMels: z.number().int().positive().default(40),
    fMin: z.number().min(0).default(0),
    /** Upper mel edge in Hz; null = sampleRate / 2 (librosa default). */
    fMax: z.number().positive().nullable().default(null),
    /** 'slaney' = librosa default (htk=False), 'htk' = htk=True. */
    melScale: z.enum(['slaney', 'htk']).default('slaney'),
    /** Filter normalisation: 'slaney' (area, librosa default) or null (peak 1). */
    melNorm: z.enum(['slaney']).nullable().default('slaney'),
    /** power_to_db: 10*log10(max(amin, S)) - 10*log10(max(amin, ref)). */
    amin: z.number().positive().default(1e-10),
    ref: z.number().positive().default(1.0),
    /**
     * power_to_db top_db clipping: null = none; a number clips each window's log-mel at
     * (max over that window) - topDb, i.e. librosa `power_to_db(S, top_db)` applied to the window.
     */
    topDb: z.number().positive().nullable().default(null),
    /** Number of MFCCs kept (orthonormal DCT-II of the log-mel, librosa `mfcc`, dct_type=2, norm='ortho'). */
    nMfcc: z.number().int().positive().default(40),
    /** librosa `mfcc(lifter=...)`; 0 = no liftering. */
    lifter: z.number().min(0).default(0),
    /** 0 = no deltas, 1 = delta, 2 = delta and delta-delta (librosa.feature.delta, mode 'interp'), per window. */
    deltaOrder: z.union([z.literal(0), z.literal(1), z.literal(2)]).default(2),
    deltaWidth: z.number().int().default(9),
    windowSeconds: z.number().positive().default(3),
    windowHopSeconds: z.number().positive().default(0.5),
    /** At end of stream, a final window shorter than `windowSeconds` is emitted only with at least this much audio. */
    minFinalWindowSeconds: z.number().positive().default(1),
    /**
     * Per-frame feature blocks, in this order in each feature row. Deltas are taken of logMel and mfcc.
     * spectralContrast: 7 values (librosa spectral_contrast, fmin 200 Hz, 6 bands, without its whole-signal
     * top_db=80 clipping); chroma: 12 values (librosa chroma_stft with tuning fixed at 0). See extractors.ts.
     */
    features: z
      .object({
        logMel: z.boolean().default(false),
        mfcc: z.boolean().default(true),
        rms: z.boolean().default(true),
        zcr: z.boolean().default(true),
        spectralContrast: z.boolean().default(false),
        chroma: z.boolean().default(false),
      })
      .strict()
      .default({ logMel: false, mfcc: true, rms: true, zcr: true, spectralContrast: false, chroma: false }),
    normalization: normalizationSchema.default({ kind: 'perWindowCmvn', variance: true, minStd: 1e-5 }),
    vad: vadSchema.default(() => vadSchema.parse({})),
  })
  .strict();

/** Parsed settings, all defaults filled in: this is what the model manifest stores. */
export type AudioFeatureSettings = z.output<typeof audioFeatureSettingsSchema>;
/** What a caller may pass: any subset, the rest defaulted. */
export type AudioFeatureSettingsInput = z.input<typeof audioFeatureSettingsSchema>;
export type VoiceActivitySettings = AudioFeatureSettings['vad'];
export type FeatureNormalization = AudioFeatureSettings['normalization'];

/** Parse (and default) settings; throws an Error listing every invalid field. */
export function parseAudioFeatureSettings(input: AudioFeatureSettingsInput = {}): AudioFeatureSettings {
  const result = audioFeatureSettingsSchema.safeParse(input);
  if (!result.success) {
    const problems = result.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
    throw new Error(`Invalid audio feature settings: ${problems}`);
  }
  return result.data;
}

/** Frame-domain sizes derived from the settings (all integers; `assertReproducible` guarantees that). */
export interface DerivedSizes {
  /** Mel upper edge in Hz, with null resolved. */
  fMax: number;
  framesPerWindow: number;
  framesPerWindowHop: number;
  minFinalWindowFrames: number;
  minSpeechFrames: number;
  /** Number of values per feature row. */
  nFeatures: number;
}

const INTEGER_TOLERANCE = 1e-9;

function framesFor(seconds: number, s: AudioFeatureSettings): number {
  return (seconds * s.sampleRate) / s.hopLength;
}

function isWholeNumber(x: number): boolean {
  return Math.abs(x - Math.round(x)) < INTEGER_TOLERANCE * Math.max(1, Math.abs(x));
}

/** Number of values per frame row for these settings (the length of `featureLayout`). */
export function featureCount(s: AudioFeatureSettings): number {
  return featureLayout(s).length;
}

export function derivedSizes(s: AudioFeatureSettings): DerivedSizes {
  return {
    fMax: s.fMax ?? s.sampleRate / 2,
    framesPerWindow: Math.round(framesFor(s.windowSeconds, s)),
    framesPerWindowHop: Math.round(framesFor(s.windowHopSeconds, s)),
    minFinalWindowFrames: Math.max(1, Math.ceil(framesFor(s.minFinalWindowSeconds, s) - INTEGER_TOLERANCE)),
    minSpeechFrames: Math.max(1, Math.ceil(framesFor(s.vad.minSpeechSeconds, s) - INTEGER_TOLERANCE)),
    nFeatures: featureCount(s),
  };
}

/**
 * Throws an Error naming every setting this implementation cannot reproduce exactly
 * (serving refuses such a model instead of computing different features than it was trained on).
 * Returns the derived sizes when the settings are usable.
 */
export function assertReproducible(settings: AudioFeatureSettings): DerivedSizes {
  const s = parseAudioFeatureSettings(settings);
  const problems: string[] = [];
  const sizes = derivedSizes(s);
  const nyquist = s.sampleRate / 2;

  if (s.nFft < 16 || (s.nFft & (s.nFft - 1)) !== 0) {
    problems.push(`nFft=${s.nFft} must be a power of two >= 16 (the real FFT, dsp/real-fft.ts, is radix-4/2)`);
  }
  if (s.frameLength > s.nFft) problems.push(`frameLength=${s.frameLength} must not exceed nFft=${s.nFft}`);
  if ((s.nFft - s.frameLength) % 2 !== 0) {
    // librosa pads floor((nFft-frameLength)/2) on the left; that is reproducible, but keep a clear rule.
    problems.push(`nFft - frameLength = ${s.nFft - s.frameLength} must be even so the window centres exactly`);
  }
  if (sizes.fMax > nyquist) problems.push(`fMax=${sizes.fMax} exceeds the Nyquist frequency ${nyquist}`);
  if (s.fMin >= sizes.fMax) problems.push(`fMin=${s.fMin} must be below fMax=${sizes.fMax}`);
  if (s.features.mfcc && s.nMfcc > s.nMels) problems.push(`nMfcc=${s.nMfcc} must not exceed nMels=${s.nMels}`);
  if (s.deltaOrder > 0 && (s.deltaWidth < 3 || s.deltaWidth % 2 !== 1)) {
    problems.push(`deltaWidth=${s.deltaWidth} must be odd and >= 3 (librosa.feature.delta)`);
  }
  if (s.deltaOrder > 0 && !s.features.mfcc && !s.features.logMel) {
    problems.push(`deltaOrder=${s.deltaOrder} needs the mfcc or logMel feature block`);
  }
  for (const [name, seconds] of [
    ['windowSeconds', s.windowSeconds],
    ['windowHopSeconds', s.windowHopSeconds],
  ] as const) {
    const frames = framesFor(seconds, s);
    if (!isWholeNumber(frames) || Math.round(frames) < 1) {
      problems.push(`${name}=${seconds} must be a whole number (>= 1) of frame hops (${s.hopLength / s.sampleRate} s); got ${frames} hops`);
    }
  }
  if (s.minFinalWindowSeconds > s.windowSeconds) {
    problems.push(`minFinalWindowSeconds=${s.minFinalWindowSeconds} must not exceed windowSeconds=${s.windowSeconds}`);
  }
  if (s.deltaOrder > 0 && sizes.minFinalWindowFrames < s.deltaWidth) {
    problems.push(
      `minFinalWindowSeconds=${s.minFinalWindowSeconds} gives ${sizes.minFinalWindowFrames} frames, fewer than deltaWidth=${s.deltaWidth} (librosa 'interp' deltas need at least deltaWidth frames)`,
    );
  }
  if (s.features.spectralContrast && 200 * 2 ** (SPECTRAL_CONTRAST_BANDS - 1) >= nyquist) {
    problems.push(`features.spectralContrast needs a sample rate above ${2 * 200 * 2 ** (SPECTRAL_CONTRAST_BANDS - 1)} Hz (its top octave band starts at ${200 * 2 ** (SPECTRAL_CONTRAST_BANDS - 1)} Hz)`);
  }
  if (s.features.chroma && s.nFft < 64) problems.push(`features.chroma needs nFft >= 64, got ${s.nFft}`);
  if (sizes.nFeatures === 0) problems.push('no feature block is enabled');
  if (s.normalization.kind === 'global') {
    const { mean, std } = s.normalization;
    if (mean.length !== sizes.nFeatures || std.length !== sizes.nFeatures) {
      problems.push(
        `global normalization needs ${sizes.nFeatures} means and stds (one per feature), got ${mean.length} and ${std.length}`,
      );
    }
    if (!mean.every(Number.isFinite)) problems.push('global normalization mean contains a non-finite value');
    if (!std.every((v) => Number.isFinite(v) && v > 0)) problems.push('global normalization std must be finite and > 0');
  }
  if (problems.length > 0) {
    throw new Error(`Audio feature settings cannot be reproduced by this extractor: ${problems.join('; ')}`);
  }
  return sizes;
}
