import { join, relative } from 'node:path';
import { cacheRoot } from '../../core/paths.js';
import { parseAudioFeatureSettings, type AudioFeatureSettingsInput } from '../../features/audio/index.js';
import { featureCacheKey } from './clip-features.js';
import { CLIP_STATISTICS_SETTINGS, clipFrameStatistics, COLUMN_PREFIX, type ClipStatisticBlock } from './clip-frame-statistics.js';
import type { Emotion, Gender, SpeechClip } from './datasets.js';
import { mapDecodedClips } from './decode-clips.js';
import { cachedJson } from './json-cache.js';

/** One row per clip: the mean and the standard deviation of every frame feature over its speech frames. */
export interface ClipStatisticsMatrix {
  /** Column names: `<feature>_mean` for every feature, then `<feature>_std` (e.g. mfcc_0_mean .. mfcc_39_std). */
  columns: string[];
  blocks: ClipStatisticBlock[];
  clips: { file: string; speaker: string; emotion?: Emotion; gender?: Gender }[];
  /** values[i][k]: clip i, column k. */
  values: number[][];
}

export interface BuildClipStatisticsOptions {
  /** File names in the matrix are relative to this folder. */
  root: string;
  /** Frame blocks summarised (default mfcc, spectral contrast, chroma). */
  blocks?: ClipStatisticBlock[];
  /** Feature settings (default: the extractor's defaults, 40 MFCCs, 10 ms hop). */
  settings?: AudioFeatureSettingsInput;
  concurrency?: number;
  /** Folder of the cache (default `<cacheRoot>/speech-stats`); null disables it. */
  cacheRoot?: string | null;
  onProgress?: (done: number, total: number) => void;
}

/**
 * Clip-level statistics of every clip (see {@link clipFrameStatistics}), decoded through the ffmpeg
 * ingest; cached under `.cache/speech-stats/<hash of settings + files>-<blocks>-clip-stats.json`.
 */
export async function buildClipStatisticsMatrix(clips: SpeechClip[], o: BuildClipStatisticsOptions): Promise<ClipStatisticsMatrix> {
  if (clips.length === 0) throw new Error('no clips to summarise');
  const settings = parseAudioFeatureSettings(o.settings ?? CLIP_STATISTICS_SETTINGS);
  const blocks = o.blocks ?? ['mfcc', 'spectralContrast', 'chroma'];
  const describe = (c: SpeechClip) => ({ file: relative(o.root, c.path), speaker: c.speaker, emotion: c.emotion, gender: c.gender });
  const dir = o.cacheRoot === undefined ? join(cacheRoot(), 'speech-stats') : o.cacheRoot;
  const cachePath = dir ? join(dir, `${featureCacheKey(settings, clips, { seed: 0 })}-${blocks.join('+')}-clip-stats.json`) : null;
  const { value: matrix } = await cachedJson<ClipStatisticsMatrix>(cachePath, async () => {
    let names: string[] = [];
    const values = await mapDecodedClips(
      clips,
      (pcm, clip) => {
        const s = clipFrameStatistics(pcm, settings, blocks, clip.path);
        names = s.names;
        return [...s.means, ...s.stds];
      },
      o,
    );
    return { columns: [...names.map((n) => `${n}_mean`), ...names.map((n) => `${n}_std`)], blocks, clips: [], values };
  });
  // file names are relative to the root given for this call (a cached matrix may come from another root)
  return { ...matrix, clips: clips.map(describe) };
}

/** Indices of the columns that belong to the given blocks (means and standard deviations). */
export function columnsOfBlocks(m: ClipStatisticsMatrix, blocks: readonly ClipStatisticBlock[]): number[] {
  const prefixes = blocks.map((b) => `${COLUMN_PREFIX[b]}_`);
  return m.columns.flatMap((c, k) => (prefixes.some((p) => c.startsWith(p)) ? [k] : []));
}
