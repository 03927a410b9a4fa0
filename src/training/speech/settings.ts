import type { AudioFeatureSettingsInput } from '../../features/audio/settings.js';
import { PIPELINE_SAMPLE_RATE } from '../../core/audio-format.js';

/**
 * Feature settings of the shipped speech models: 40 log-mel bands (librosa-compatible), 25 ms
 * analysis windows every 20 ms, windows of 2 s every 0.5 s (100 rows x 40 values). Each window's
 * per-band mean is subtracted (cepstral-mean-style normalisation: removes the speaker's / channel's
 * spectral envelope, which generalised better across speakers than raw levels), then the training
 * set's per-band mean/std go into the manifest (`features.normalisation`), which the serving loader
 * applies before the model.
 */
export const SPEECH_FEATURE_SETTINGS: AudioFeatureSettingsInput = {
  sampleRate: PIPELINE_SAMPLE_RATE,
  frameLength: 400,
  hopLength: 320,
  nFft: 512,
  nMels: 40,
  features: { logMel: true, mfcc: false, rms: false, zcr: false, spectralContrast: false, chroma: false },
  deltaOrder: 0,
  windowSeconds: 2,
  windowHopSeconds: 0.5,
  minFinalWindowSeconds: 1,
  normalization: { kind: 'perWindowCmvn', variance: false, minStd: 1e-5 },
};
