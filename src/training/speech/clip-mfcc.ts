import type { AudioFeatureSettingsInput } from '../../features/audio/index.js';
import { clipFrameStatistics } from './clip-frame-statistics.js';

/** Mean of each MFCC coefficient over the speech frames of one clip. */
export interface ClipMfccMeans {
  /** means[k] = mean of MFCC k over the clip's speech frames. */
  means: number[];
  speechFrames: number;
  frames: number;
}

/**
 * Per-clip MFCC means over the frames the voice-activity detector marks as speech, computed by the
 * same frame analyser and VAD the streaming extractor uses (so the numbers are the extractor's raw,
 * un-normalised MFCCs, frame for frame). Throws when the clip has no complete frame or no speech frame.
 */
export function clipMfccMeans(pcm: Int16Array, settingsInput: AudioFeatureSettingsInput = {}, what = 'clip'): ClipMfccMeans {
  const { means, speechFrames, frames } = clipFrameStatistics(pcm, settingsInput, ['mfcc'], what);
  return { means, speechFrames, frames };
}
