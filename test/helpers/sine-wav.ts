import { writeFileSync } from 'node:fs';

export interface SineWavOptions {
  sampleRate: number;
  frequencyHz: number;
  seconds: number;
  /** Peak amplitude, 0..1 of full scale (default 0.5). */
  amplitude?: number;
}

/** Writes a mono 16-bit PCM WAV of one sine tone to `path` (e.g. for Chromium's fake microphone) and returns the path. */
export function writeSineWav(path: string, o: SineWavOptions): string {
  const frames = Math.round(o.sampleRate * o.seconds);
  const amplitude = (o.amplitude ?? 0.5) * 32767;
  const data = Buffer.alloc(frames * 2);
  for (let i = 0; i < frames; i++) data.writeInt16LE(Math.round(amplitude * Math.sin((2 * Math.PI * o.frequencyHz * i) / o.sampleRate)), i * 2);
  const header = Buffer.alloc(44);
  header.write('RIFF', 0, 'ascii');
  header.writeUInt32LE(36 + data.length, 4);
  header.write('WAVE', 8, 'ascii');
  header.write('fmt ', 12, 'ascii');
  header.writeUInt32LE(16, 16); // fmt chunk size
  header.writeUInt16LE(1, 20); // PCM
  header.writeUInt16LE(1, 22); // mono
  header.writeUInt32LE(o.sampleRate, 24);
  header.writeUInt32LE(o.sampleRate * 2, 28); // byte rate
  header.writeUInt16LE(2, 32); // block align
  header.writeUInt16LE(16, 34); // bits per sample
  header.write('data', 36, 'ascii');
  header.writeUInt32LE(data.length, 40);
  writeFileSync(path, Buffer.concat([header, data]));
  return path;
}
