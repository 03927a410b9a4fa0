import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cacheRoot } from '../../core/paths.js';
import { extractFile, parseAudioFeatureSettings, type AudioFeatureSettings, type AudioFeatureSettingsInput } from '../../features/audio/index.js';
import { decodeAudioFile } from '../../ingest/audio-file-source.js';
import { createRng } from '../seeding.js';
import { augmentWaveform, type WaveAugmentOptions } from './augment.js';
import type { SpeechClip } from './datasets.js';

/** Feature windows of one version (original or augmented copy) of a clip. */
export interface ClipWindows {
  /** nWindows * framesPerWindow * nFeatures values, window after window. */
  data: Float32Array;
  nWindows: number;
  speech: boolean[];
}

export interface ClipFeatures {
  clip: SpeechClip;
  /** [0] is the clip as recorded; [1..] are augmented copies. */
  versions: ClipWindows[];
  durationSec: number;
}

export interface FeatureSet {
  settings: AudioFeatureSettings;
  framesPerWindow: number;
  nFeatures: number;
  clips: ClipFeatures[];
  cacheDir: string;
  fromCache: boolean;
}

export interface ExtractClipFeaturesOptions {
  /** Augmented copies per clip (waveform augmentation, seeded). Default 0. */
  augmentedCopies?: number;
  augment?: WaveAugmentOptions;
  seed?: number;
  /** Concurrent ffmpeg decodes. Default 3. */
  concurrency?: number;
  /** Default `<cacheRoot>/features`. Null disables the cache. */
  cacheRoot?: string | null;
  onProgress?: (done: number, total: number) => void;
}

/** Cache key: settings, augmentation and every file's path, size and mtime. */
export function featureCacheKey(settings: AudioFeatureSettings, clips: SpeechClip[], o: ExtractClipFeaturesOptions): string {
  const files = clips.map((c) => {
    const st = statSync(c.path);
    return [c.path, st.size, Math.round(st.mtimeMs)];
  });
  const spec = { v: 1, settings, copies: o.augmentedCopies ?? 0, augment: o.augment ?? {}, seed: o.seed ?? 1, files };
  return createHash('sha256').update(JSON.stringify(spec)).digest('hex').slice(0, 24);
}

interface CacheIndex {
  framesPerWindow: number;
  nFeatures: number;
  clips: { path: string; durationSec: number; versions: { offset: number; nWindows: number; speech: boolean[] }[] }[];
}

/**
 * Decodes every clip with the ffmpeg ingest (the path live audio takes), extracts feature windows
 * with the shared StreamingFeatureExtractor (`extractFile`), plus seeded augmented copies, and
 * caches the result under `.cache/features/<hash of settings + file list>` so re-runs are fast.
 */
export async function extractClipFeatures(
  clips: SpeechClip[],
  settingsInput: AudioFeatureSettings | AudioFeatureSettingsInput,
  o: ExtractClipFeaturesOptions = {},
): Promise<FeatureSet> {
  const settings = parseAudioFeatureSettings(settingsInput as AudioFeatureSettingsInput);
  const key = featureCacheKey(settings, clips, o);
  const dir = join(o.cacheRoot === undefined ? join(cacheRoot(), 'features') : (o.cacheRoot ?? ''), key);
  const useCache = o.cacheRoot !== null;
  if (useCache && existsSync(join(dir, 'index.json')) && existsSync(join(dir, 'data.f32'))) {
    const index = JSON.parse(readFileSync(join(dir, 'index.json'), 'utf8')) as CacheIndex;
    const buf = readFileSync(join(dir, 'data.f32'));
    const all = new Float32Array(buf.buffer, buf.byteOffset, buf.byteLength / 4);
    const per = index.framesPerWindow * index.nFeatures;
    return {
      settings,
      framesPerWindow: index.framesPerWindow,
      nFeatures: index.nFeatures,
      cacheDir: dir,
      fromCache: true,
      clips: index.clips.map((c, i) => ({
        clip: clips[i],
        durationSec: c.durationSec,
        versions: c.versions.map((v) => ({ data: all.subarray(v.offset, v.offset + v.nWindows * per), nWindows: v.nWindows, speech: v.speech })),
      })),
    };
  }

  const copies = o.augmentedCopies ?? 0;
  const seed = o.seed ?? 1;
  const out: ClipFeatures[] = new Array(clips.length);
  let framesPerWindow = 0;
  let nFeatures = 0;
  let next = 0;
  let done = 0;
  const toWindows = (pcm: Int16Array): ClipWindows => {
    const ws = extractFile(pcm, settings);
    if (ws.length > 0) {
      framesPerWindow = ws[0].framesPerWindow;
      nFeatures = ws[0].nFeatures;
    }
    const per = ws.length > 0 ? ws[0].features.length : 0;
    const data = new Float32Array(ws.length * per);
    ws.forEach((w, i) => data.set(w.features, i * per));
    return { data, nWindows: ws.length, speech: ws.map((w) => w.speech) };
  };
  const worker = async () => {
    for (;;) {
      const i = next++;
      if (i >= clips.length) return;
      const pcm = await decodeAudioFile(clips[i].path);
      const rng = createRng(seed * 1000003 + i);
      const versions = [toWindows(pcm)];
      for (let k = 0; k < copies; k++) versions.push(toWindows(augmentWaveform(pcm, rng, { ...o.augment, sampleRate: settings.sampleRate })));
      out[i] = { clip: clips[i], versions, durationSec: pcm.length / settings.sampleRate };
      o.onProgress?.(++done, clips.length);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, o.concurrency ?? 3) }, worker));

  if (useCache) {
    mkdirSync(dir, { recursive: true });
    let offset = 0;
    const index: CacheIndex = { framesPerWindow, nFeatures, clips: [] };
    const parts: Buffer[] = [];
    for (const c of out) {
      index.clips.push({
        path: c.clip.path,
        durationSec: c.durationSec,
        versions: c.versions.map((v) => {
          const e = { offset, nWindows: v.nWindows, speech: v.speech };
          offset += v.data.length;
          parts.push(Buffer.from(v.data.buffer, v.data.byteOffset, v.data.byteLength));
          return e;
        }),
      });
    }
    // Per-process temporary names and index.json last: processes extracting the same cache at
    // once (folds trained in parallel) each write whole files, and a reader never sees a half.
    const tmp = `.${process.pid}.tmp`;
    writeFileSync(join(dir, `data.f32${tmp}`), Buffer.concat(parts));
    renameSync(join(dir, `data.f32${tmp}`), join(dir, 'data.f32'));
    writeFileSync(join(dir, `index.json${tmp}`), JSON.stringify(index));
    renameSync(join(dir, `index.json${tmp}`), join(dir, 'index.json'));
  }
  return { settings, framesPerWindow, nFeatures, clips: out, cacheDir: dir, fromCache: false };
}
