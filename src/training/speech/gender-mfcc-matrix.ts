import { join, relative } from 'node:path';
import { cacheRoot } from '../../core/paths.js';
import { parseAudioFeatureSettings, type AudioFeatureSettingsInput } from '../../features/audio/index.js';
import { CLIP_STATISTICS_SETTINGS } from './clip-frame-statistics.js';
import { clipMfccMeans } from './clip-mfcc.js';
import { featureCacheKey } from './clip-features.js';
import type { Gender, SpeechClip } from './datasets.js';
import { mapDecodedClips } from './decode-clips.js';
import { cachedJson } from './json-cache.js';

/** One observation per clip: the mean of each MFCC coefficient over the clip's speech frames. */
export interface GenderMfccMatrix {
  /** Column names, e.g. mfcc_0 .. mfcc_39. */
  coefficients: string[];
  clips: { file: string; speaker: string; gender: Gender }[];
  /** values[i][k]: clip i, coefficient k. */
  values: number[][];
}

export interface BuildGenderMfccMatrixOptions {
  /** Feature settings (default: the extractor's defaults, 40 MFCCs). */
  settings?: AudioFeatureSettingsInput;
  /** File names in the matrix are relative to this folder. */
  root: string;
  /** Concurrent ffmpeg decodes (default 2). */
  concurrency?: number;
  /** Folder of the matrix cache (default `<cacheRoot>/speech-stats`); null disables it. */
  cacheRoot?: string | null;
  onProgress?: (done: number, total: number) => void;
}

/**
 * Decodes each clip through the ffmpeg ingest and summarises it with {@link clipMfccMeans}. Clips
 * without a known gender are refused (filter them first). A clip with no speech frame is an error
 * naming the file. Cached under `.cache/speech-stats/<hash of settings + files>.json`.
 */
export async function buildGenderMfccMatrix(clips: SpeechClip[], o: BuildGenderMfccMatrixOptions): Promise<GenderMfccMatrix> {
  const settings = parseAudioFeatureSettings(o.settings ?? CLIP_STATISTICS_SETTINGS);
  const missing = clips.find((c) => !c.gender);
  if (missing) throw new Error(`clip ${missing.path} has no gender label (its dataset's file names do not give one)`);
  if (clips.length === 0) throw new Error('no clips to summarise');
  const cacheDir = o.cacheRoot === undefined ? join(cacheRoot(), 'speech-stats') : o.cacheRoot;
  const cachePath = cacheDir ? join(cacheDir, `${featureCacheKey(settings, clips, { seed: 0 })}-mfcc-means.json`) : null;
  const { value: matrix } = await cachedJson<GenderMfccMatrix>(cachePath, async () => ({
    coefficients: Array.from({ length: settings.nMfcc }, (_, k) => `mfcc_${k}`),
    clips: [],
    values: await mapDecodedClips(clips, (pcm, clip) => clipMfccMeans(pcm, settings, clip.path).means, o),
  }));
  // file names are relative to the root given for this call (a cached matrix may come from another root)
  return { ...matrix, clips: clips.map((c) => ({ file: relative(o.root, c.path), speaker: c.speaker, gender: c.gender! })) };
}

/** Speaker-level matrix: each speaker's clip vectors averaged (the unit for valid inference). */
export function speakerMeans(m: GenderMfccMatrix): GenderMfccMatrix {
  const bySpeaker = new Map<string, { gender: Gender; rows: number[][] }>();
  m.clips.forEach((c, i) => {
    const entry = bySpeaker.get(c.speaker) ?? { gender: c.gender, rows: [] };
    if (entry.gender !== c.gender) throw new Error(`speaker ${c.speaker} has clips labelled both ${entry.gender} and ${c.gender}`);
    entry.rows.push(m.values[i]);
    bySpeaker.set(c.speaker, entry);
  });
  const speakers = [...bySpeaker.keys()].sort();
  return {
    coefficients: m.coefficients,
    clips: speakers.map((s) => ({ file: s, speaker: s, gender: bySpeaker.get(s)!.gender })),
    values: speakers.map((s) => {
      const rows = bySpeaker.get(s)!.rows;
      return m.coefficients.map((_, k) => rows.reduce((acc, r) => acc + r[k], 0) / rows.length);
    }),
  };
}
