import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { cacheRoot, requireDataPath } from '../../src/core/paths.js';
import { ffmpegPath } from '../../src/ingest/ffmpeg-path.js';

/**
 * A real speech clip for Chromium's fake microphone (--use-file-for-fake-audio-capture): two
 * RAVDESS sentences of actor 01 (angry and happy, strong intensity) re-encoded with the bundled
 * ffmpeg to 48 kHz mono 16-bit WAV, which the fake device plays best. Cached under .cache/.
 */
export function fakeMicrophoneWav(): string {
  const dir = join(cacheRoot(), 'browser');
  const out = join(dir, 'fake-mic-ravdess-48k.wav');
  if (existsSync(out)) return out;
  const actor = requireDataPath('ravdess/Actor_01', 'RAVDESS speech clips (actor 01)');
  const clips = ['03-01-05-02-01-01-01.wav', '03-01-03-02-02-01-01.wav'].map((f) => join(actor, f));
  mkdirSync(dir, { recursive: true });
  execFileSync(ffmpegPath(), ['-hide_banner', '-loglevel', 'error', '-y', ...clips.flatMap((c) => ['-i', c]), '-filter_complex', `concat=n=${clips.length}:v=0:a=1`, '-ar', '48000', '-ac', '1', '-c:a', 'pcm_s16le', out]);
  return out;
}
