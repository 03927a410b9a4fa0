import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { requireDataPath } from '../../src/core/paths.js';
import { ffmpegPath } from '../../src/ingest/ffmpeg-path.js';

export function tempDir(prefix = 'speech-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** Generates a file with ffmpeg's lavfi sources, e.g. `sine=frequency=440:sample_rate=48000:duration=1`. */
export function generateAudio(out: string, lavfi: string, extra: string[] = []): string {
  execFileSync(ffmpegPath(), ['-hide_banner', '-loglevel', 'error', '-nostdin', '-y', '-f', 'lavfi', '-i', lavfi, ...extra, out]);
  return out;
}

/** A few real RAVDESS clips: `n` per listed actor, sorted, from ../shared/data. */
export function ravdessClips(actors: number[], n = 2): string[] {
  const root = requireDataPath('ravdess', 'RAVDESS speech data');
  const out: string[] = [];
  for (const a of actors) {
    const dir = join(root, `Actor_${String(a).padStart(2, '0')}`);
    if (!existsSync(dir)) throw new Error(`RAVDESS actor folder missing: ${dir}`);
    out.push(...readdirSync(dir).filter((f) => f.endsWith('.wav')).sort().slice(0, n).map((f) => join(dir, f)));
  }
  return out;
}

/** Counts sign changes per second of 16 kHz PCM (2 x frequency for a pure tone). */
export function zeroCrossingsPerSecond(pcm: Int16Array, sampleRate = 16000): number {
  let n = 0;
  for (let i = 1; i < pcm.length; i++) if (pcm[i - 1] < 0 !== pcm[i] < 0) n++;
  return n / (pcm.length / sampleRate);
}
