import { foldedDct, orthonormalDctMatrix, type FoldedDct } from './dsp/dct.js';
import { sparseMelFilterbank, type SparseMelFilterbank } from './dsp/mel-filterbank.js';
import { RealFft } from './dsp/real-fft.js';
import { paddedPeriodicWindow, windowOffset } from './dsp/window-function.js';
import { assertReproducible, type AudioFeatureSettings } from './settings.js';

/** Everything that depends only on the settings, computed once per settings (shared by all streams). */
export interface FramePlan {
  settings: AudioFeatureSettings;
  nFft: number;
  nBins: number;
  frameLength: number;
  hopLength: number;
  /** First analysed sample inside an nFft-long frame (the window is centred). */
  windowOffset: number;
  /** nFft-long window, zero outside [windowOffset, windowOffset + frameLength). */
  window: Float64Array;
  fft: RealFft;
  mel: SparseMelFilterbank;
  nMels: number;
  nMfcc: number;
  /** Orthonormal DCT-II nMels -> nMfcc (liftered when settings.lifter > 0), folded on its symmetry. */
  dct: FoldedDct;
  amin: number;
  /** 10*log10(max(amin, ref)), subtracted from every dB value. */
  refDb: number;
  power: 1 | 2;
}

const planCache = new WeakMap<AudioFeatureSettings, FramePlan>();

/** Build (or reuse, for the same settings object) the precomputed tables. Throws for unsupported settings. */
export function framePlan(settings: AudioFeatureSettings): FramePlan {
  const cached = planCache.get(settings);
  if (cached) return cached;
  const sizes = assertReproducible(settings);
  const s = settings;
  const plan: FramePlan = {
    settings: s,
    nFft: s.nFft,
    nBins: s.nFft / 2 + 1,
    frameLength: s.frameLength,
    hopLength: s.hopLength,
    windowOffset: windowOffset(s.frameLength, s.nFft),
    window: paddedPeriodicWindow(s.window, s.frameLength, s.nFft),
    fft: new RealFft(s.nFft),
    mel: sparseMelFilterbank({
      sampleRate: s.sampleRate,
      nFft: s.nFft,
      nMels: s.nMels,
      fMin: s.fMin,
      fMax: sizes.fMax,
      scale: s.melScale,
      norm: s.melNorm,
    }),
    nMels: s.nMels,
    nMfcc: s.features.mfcc ? s.nMfcc : 0,
    dct: foldedDct(orthonormalDctMatrix(s.nMels, s.features.mfcc ? s.nMfcc : 0, s.lifter), s.nMels, s.features.mfcc ? s.nMfcc : 0),
    amin: s.amin,
    refDb: 10 * Math.log10(Math.max(s.amin, s.ref)),
    power: s.power,
  };
  planCache.set(settings, plan);
  return plan;
}
