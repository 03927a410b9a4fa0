import { readFileSync } from 'node:fs';

export interface WavPcm16 {
  sampleRate: number;
  channels: number;
  /** Interleaved 16-bit samples. */
  pcm: Int16Array;
}

/**
 * Parse a RIFF/WAVE file holding uncompressed 16-bit PCM (format 1, or WAVE_FORMAT_EXTENSIBLE with the
 * PCM sub-format). Anything else is refused: real decoding goes through ffmpeg.
 */
export function parseWavPcm16(bytes: Uint8Array, name = 'WAV data'): WavPcm16 {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const tag = (at: number) => String.fromCharCode(...bytes.subarray(at, at + 4));
  if (bytes.byteLength < 12 || tag(0) !== 'RIFF' || tag(8) !== 'WAVE') throw new Error(`${name} is not a RIFF/WAVE file`);
  let fmt: { format: number; channels: number; sampleRate: number; bits: number } | null = null;
  let offset = 12;
  while (offset + 8 <= bytes.byteLength) {
    const id = tag(offset);
    const size = view.getUint32(offset + 4, true);
    const body = offset + 8;
    if (id === 'fmt ') {
      let format = view.getUint16(body, true);
      if (format === 0xfffe && size >= 26) format = view.getUint16(body + 24, true);
      fmt = {
        format,
        channels: view.getUint16(body + 2, true),
        sampleRate: view.getUint32(body + 4, true),
        bits: view.getUint16(body + 14, true),
      };
    } else if (id === 'data') {
      if (!fmt) throw new Error(`${name}: data chunk before fmt chunk`);
      if (fmt.format !== 1 || fmt.bits !== 16) {
        throw new Error(`${name}: only 16-bit PCM WAV is supported here (format ${fmt.format}, ${fmt.bits} bits); decode with ffmpeg`);
      }
      const length = Math.min(size, bytes.byteLength - body) & ~1;
      const pcm = new Int16Array(length / 2);
      for (let i = 0; i < pcm.length; i++) pcm[i] = view.getInt16(body + 2 * i, true);
      return { sampleRate: fmt.sampleRate, channels: fmt.channels, pcm };
    }
    offset = body + size + (size % 2);
  }
  throw new Error(`${name}: no data chunk found`);
}

export function loadWavFile(path: string): WavPcm16 {
  return parseWavPcm16(readFileSync(path), path);
}
