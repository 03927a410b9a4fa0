import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { requireDataPath, repoRoot } from '../../src/core/paths.js';
import { loadWavFile } from '../../src/features/audio/wav.js';

/** librosa reference features written by scripts/fixtures/audio_features_fixtures.py. */
export interface FixtureSignal {
  name: string;
  pcm: Int16Array;
  frames: number;
  /** [frame][coefficient] matrices as flat arrays */
  arrays: Record<string, Float32Array>;
}

interface RawSignal {
  name: string;
  source: { dataPath?: string; startSample?: number; samples?: number; int16Base64?: string };
  frames: number;
  [key: string]: unknown;
}

function decodeFloat32(b64: string): Float32Array {
  const bytes = Buffer.from(b64, 'base64');
  const out = new Float32Array(bytes.length / 4);
  for (let i = 0; i < out.length; i++) out[i] = bytes.readFloatLE(4 * i);
  return out;
}

function decodeInt16(b64: string): Int16Array {
  const bytes = Buffer.from(b64, 'base64');
  const out = new Int16Array(bytes.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = bytes.readInt16LE(2 * i);
  return out;
}

export function loadAudioFeatureFixture(): { settings: Record<string, number>; signals: FixtureSignal[] } {
  const raw = JSON.parse(readFileSync(join(repoRoot, 'test', 'fixtures', 'audio-features.json'), 'utf8')) as {
    settings: Record<string, number>;
    signals: RawSignal[];
  };
  const signals = raw.signals.map((s) => {
    let pcm: Int16Array;
    if (s.source.int16Base64) {
      pcm = decodeInt16(s.source.int16Base64);
    } else {
      const wav = loadWavFile(requireDataPath(s.source.dataPath!, `RAVDESS clip ${s.source.dataPath}`));
      pcm = wav.pcm.slice(s.source.startSample!, s.source.startSample! + s.source.samples!);
    }
    const arrays: Record<string, Float32Array> = {};
    for (const [key, value] of Object.entries(s)) {
      if (key !== 'name' && key !== 'source' && key !== 'frames' && typeof value === 'string') arrays[key] = decodeFloat32(value);
    }
    return { name: s.name, pcm, frames: s.frames, arrays };
  });
  return { settings: raw.settings, signals };
}
