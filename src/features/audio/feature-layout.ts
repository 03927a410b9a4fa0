import { CHROMA_BINS, SPECTRAL_CONTRAST_BANDS, type AudioFeatureSettings } from './settings.js';

/** Column names of a feature row, in order (e.g. for the model manifest and debugging). */
export function featureLayout(s: AudioFeatureSettings): string[] {
  const spectral: string[] = [];
  if (s.features.logMel) for (let m = 0; m < s.nMels; m++) spectral.push(`logMel_${m}`);
  if (s.features.mfcc) for (let k = 0; k < s.nMfcc; k++) spectral.push(`mfcc_${k}`);
  const names = [...spectral];
  if (s.deltaOrder >= 1) names.push(...spectral.map((n) => `delta_${n}`));
  if (s.deltaOrder >= 2) names.push(...spectral.map((n) => `delta2_${n}`));
  if (s.features.rms) names.push('rms');
  if (s.features.zcr) names.push('zcr');
  if (s.features.spectralContrast) for (let b = 0; b <= SPECTRAL_CONTRAST_BANDS; b++) names.push(`contrast_${b}`);
  if (s.features.chroma) for (let c = 0; c < CHROMA_BINS; c++) names.push(`chroma_${c}`);
  return names;
}
