/**
 * The registry of what a feature window's rows hold: each entry is a settings flag (`features.<name>`)
 * that is also the name of the per-frame extractor computing it (extractors.ts), with its column names.
 * Row order is the registry's order: the spectral features (log-mel, MFCC), their deltas, then the rest.
 * Training and serving both build their rows from `windowFeatureNames` / `featureLayout` of the
 * manifest's settings, so there is one list of features, here.
 */

/** Bands of librosa.feature.spectral_contrast (plus the band below fmin: 7 values a frame). */
export const SPECTRAL_CONTRAST_BANDS = 6;
/** Pitch classes of chroma_stft. */
export const CHROMA_BINS = 12;

/** What a row's column names depend on. */
export interface LayoutSizes {
  nMels: number;
  nMfcc: number;
}

export interface WindowFeature {
  /** Spectral features get delta (and delta-delta) columns and form the spectral block. */
  spectral: boolean;
  columns(s: LayoutSizes): string[];
}

const indexed = (prefix: string, n: number): string[] => Array.from({ length: n }, (_, i) => `${prefix}_${i}`);

export const WINDOW_FEATURES = {
  logMel: { spectral: true, columns: (s) => indexed('logMel', s.nMels) },
  mfcc: { spectral: true, columns: (s) => indexed('mfcc', s.nMfcc) },
  rms: { spectral: false, columns: () => ['rms'] },
  zcr: { spectral: false, columns: () => ['zcr'] },
  spectralContrast: { spectral: false, columns: () => indexed('contrast', SPECTRAL_CONTRAST_BANDS + 1) },
  chroma: { spectral: false, columns: () => indexed('chroma', CHROMA_BINS) },
} as const satisfies Record<string, WindowFeature>;

export type WindowFeatureName = keyof typeof WINDOW_FEATURES;

/** The enabled window features in row order. */
export function windowFeatureNames(flags: Readonly<Record<WindowFeatureName, boolean>>): WindowFeatureName[] {
  const unknown = Object.keys(flags).filter((k) => !(k in WINDOW_FEATURES));
  if (unknown.length) throw new Error(`unknown audio feature(s) ${unknown.join(', ')}; known: ${Object.keys(WINDOW_FEATURES).join(', ')}`);
  return (Object.keys(WINDOW_FEATURES) as WindowFeatureName[]).filter((n) => flags[n]);
}

/** Column names of a feature row, in order (e.g. for the model manifest and debugging). */
export function featureLayout(s: LayoutSizes & { features: Readonly<Record<WindowFeatureName, boolean>>; deltaOrder: number }): string[] {
  const names = windowFeatureNames(s.features);
  const spectral = names.filter((n) => WINDOW_FEATURES[n].spectral).flatMap((n) => WINDOW_FEATURES[n].columns(s));
  const rest = names.filter((n) => !WINDOW_FEATURES[n].spectral).flatMap((n) => WINDOW_FEATURES[n].columns(s));
  const deltas = [1, 2].filter((order) => order <= s.deltaOrder).flatMap((order) => spectral.map((c) => `${order === 1 ? 'delta' : 'delta2'}_${c}`));
  return [...spectral, ...deltas, ...rest];
}
