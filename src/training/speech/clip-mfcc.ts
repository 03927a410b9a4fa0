import {
  FrameAnalyzer,
  framePlan,
  int16ToFloat64,
  parseAudioFeatureSettings,
  VoiceActivityDetector,
  type AudioFeatureSettingsInput,
} from '../../features/audio/index.js';

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
  if (!(pcm instanceof Int16Array)) throw new Error(`${what}: expected Int16Array PCM`);
  const settings = parseAudioFeatureSettings(settingsInput);
  if (!settings.features.mfcc) throw new Error('clipMfccMeans needs settings with features.mfcc enabled');
  if (settings.topDb !== null) throw new Error('clipMfccMeans needs topDb = null (per-window clipping makes frame MFCCs depend on the window)');
  const plan = framePlan(settings);
  const analyzer = new FrameAnalyzer(plan, ['energyDb', 'melFlatness', 'mfcc']);
  const layout = analyzer.layout;
  const vad = new VoiceActivityDetector(settings.vad, settings.hopLength / settings.sampleRate);
  const samples = int16ToFloat64(pcm);
  const record = new Float64Array(analyzer.recordWidth);
  const nMfcc = settings.nMfcc;
  const sums = new Float64Array(nMfcc);
  let frames = 0;
  let speechFrames = 0;
  for (let start = 0; start + plan.nFft <= samples.length; start += plan.hopLength) {
    analyzer.analyze(samples, start, record, 0);
    frames++;
    if (!vad.isSpeechFrame(record[layout.energyDb!.offset], record[layout.melFlatness!.offset])) continue;
    speechFrames++;
    const off = layout.mfcc!.offset;
    for (let k = 0; k < nMfcc; k++) sums[k] += record[off + k];
  }
  if (frames === 0) throw new Error(`${what}: too short for one ${plan.nFft}-sample analysis frame (${pcm.length} samples)`);
  if (speechFrames === 0) throw new Error(`${what}: no speech frames (silence or noise only)`);
  return { means: Array.from(sums, (s) => s / speechFrames), speechFrames, frames };
}
