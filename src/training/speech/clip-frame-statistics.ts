import {
  FrameAnalyzer,
  framePlan,
  int16ToFloat64,
  parseAudioFeatureSettings,
  VOICE_ACTIVITY_INPUTS,
  VoiceActivityDetector,
  type AudioFeatureSettingsInput,
} from '../../features/audio/index.js';

/**
 * Default settings of the clip statistics matrices (speech-statistics): the library defaults with the
 * 'energy' voice-activity detector, the one the published statistics and their committed fixtures were
 * computed with (clean studio clips, where it keeps every speech frame; the 'voiced' detector would keep
 * only the voiced frames and their hangover, which changes the means).
 */
export const CLIP_STATISTICS_SETTINGS: AudioFeatureSettingsInput = { vad: { kind: 'energy' } };

/** Per-frame feature blocks a clip can be summarised by. */
export const CLIP_STATISTIC_BLOCKS = ['mfcc', 'spectralContrast', 'chroma'] as const;
export type ClipStatisticBlock = (typeof CLIP_STATISTIC_BLOCKS)[number];

/** Prefix of each block's feature names. */
export const COLUMN_PREFIX: Record<ClipStatisticBlock, string> = { mfcc: 'mfcc', spectralContrast: 'contrast', chroma: 'chroma' };

/** Mean and standard deviation of each feature over the speech frames of one clip. */
export interface ClipFrameStatistics {
  /** Feature names, block after block (mfcc_0 .., contrast_0 .., chroma_0 ..). */
  names: string[];
  means: number[];
  /** Population standard deviations (ddof 0, numpy's default). */
  stds: number[];
  speechFrames: number;
  frames: number;
}

/**
 * Summarises a clip by each feature's mean and standard deviation over the frames the voice-activity
 * detector marks as speech, computed by the same frame analyser and VAD the streaming extractor uses
 * (raw, un-normalised values, frame for frame). Throws when the clip has no complete frame or no speech.
 */
export function clipFrameStatistics(
  pcm: Int16Array,
  settingsInput: AudioFeatureSettingsInput = {},
  blocks: readonly ClipStatisticBlock[] = ['mfcc'],
  what = 'clip',
): ClipFrameStatistics {
  if (!(pcm instanceof Int16Array)) throw new Error(`${what}: expected Int16Array PCM`);
  const settings = parseAudioFeatureSettings(settingsInput);
  if (blocks.includes('mfcc') && !settings.features.mfcc) throw new Error('clip MFCC statistics need settings with features.mfcc enabled');
  if (settings.topDb !== null) throw new Error('clip statistics need topDb = null (per-window clipping makes frame MFCCs depend on the window)');
  const plan = framePlan(settings);
  const analyzer = new FrameAnalyzer(plan, [...VOICE_ACTIVITY_INPUTS, ...blocks]);
  const layout = analyzer.layout;
  const vad = new VoiceActivityDetector(settings.vad, settings.hopLength / settings.sampleRate);
  const samples = int16ToFloat64(pcm);
  const record = new Float64Array(analyzer.recordWidth);
  const spans = blocks.map((b) => layout[b]!);
  const width = spans.reduce((a, s) => a + s.width, 0);
  const sums = new Float64Array(width);
  const squares = new Float64Array(width);
  let frames = 0;
  let speechFrames = 0;
  for (let start = 0; start + plan.nFft <= samples.length; start += plan.hopLength) {
    analyzer.analyze(samples, start, record, 0);
    frames++;
    if (!vad.isSpeechRecord(record, 0, layout)) continue;
    speechFrames++;
    let col = 0;
    for (const span of spans) {
      for (let k = 0; k < span.width; k++, col++) {
        const v = record[span.offset + k];
        sums[col] += v;
        squares[col] += v * v;
      }
    }
  }
  if (frames === 0) throw new Error(`${what}: too short for one ${plan.nFft}-sample analysis frame (${pcm.length} samples)`);
  if (speechFrames === 0) throw new Error(`${what}: no speech frames (silence or noise only)`);
  const means = Array.from(sums, (s) => s / speechFrames);
  const stds = Array.from(squares, (s, k) => Math.sqrt(Math.max(0, s / speechFrames - means[k] ** 2)));
  const names = blocks.flatMap((b, i) => Array.from({ length: spans[i].width }, (_, k) => `${COLUMN_PREFIX[b]}_${k}`));
  return { names, means, stds, speechFrames, frames };
}
