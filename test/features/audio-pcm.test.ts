import { describe, expect, it } from 'vitest';
import {
  float32ToInt16LeBuffer,
  int16FromLeBuffer,
  int16LeBufferToFloat32,
  int16ToFloat32,
  int16ToLeBuffer,
} from '../../src/features/audio/pcm.js';
import { parseWavPcm16 } from '../../src/features/audio/wav.js';
import { ravdessClips } from './audio-test-signals.js';

function wavBytes(pcm: Int16Array, sampleRate: number, channels: number, bits = 16, format = 1): Buffer {
  const data = int16ToLeBuffer(pcm);
  const header = Buffer.alloc(44);
  header.write('RIFF', 0);
  header.writeUInt32LE(36 + data.length, 4);
  header.write('WAVE', 8);
  header.write('fmt ', 12);
  header.writeUInt32LE(16, 16);
  header.writeUInt16LE(format, 20);
  header.writeUInt16LE(channels, 22);
  header.writeUInt32LE(sampleRate, 24);
  header.writeUInt32LE((sampleRate * channels * bits) / 8, 28);
  header.writeUInt16LE((channels * bits) / 8, 32);
  header.writeUInt16LE(bits, 34);
  header.write('data', 36);
  header.writeUInt32LE(data.length, 40);
  return Buffer.concat([header, data]);
}

describe('PCM helpers', () => {
  it('Int16LE buffer <-> Int16Array <-> Float32 round trips exactly', () => {
    const pcm = Int16Array.from([0, 1, -1, 32767, -32768, 1234, -4321]);
    const bytes = int16ToLeBuffer(pcm);
    expect(bytes.readInt16LE(6)).toBe(32767);
    expect(Array.from(int16FromLeBuffer(bytes))).toEqual(Array.from(pcm));
    const f = int16LeBufferToFloat32(bytes);
    expect(f[4]).toBe(-1);
    expect(f[3]).toBeCloseTo(32767 / 32768, 12);
    expect(Array.from(int16FromLeBuffer(float32ToInt16LeBuffer(f)))).toEqual(Array.from(pcm));
  });

  it('reads from an odd byte offset (Buffer slices of a pooled allocation)', () => {
    const bytes = Buffer.concat([Buffer.from([9]), int16ToLeBuffer(Int16Array.from([-2, 3]))]).subarray(1);
    expect(Array.from(int16FromLeBuffer(bytes))).toEqual([-2, 3]);
  });

  it('float -> int16 clips and refuses NaN; odd byte counts are refused', () => {
    expect(Array.from(int16FromLeBuffer(float32ToInt16LeBuffer(Float32Array.from([2, -2, 0.5]))))).toEqual([32767, -32768, 16384]);
    expect(() => float32ToInt16LeBuffer(Float32Array.from([0, Number.NaN]))).toThrow(/sample 1 is NaN/);
    expect(() => int16FromLeBuffer(Buffer.alloc(3))).toThrow(/even number of bytes, got 3/);
  });

  it('int16ToFloat32 scales by 32768', () => {
    expect(Array.from(int16ToFloat32(Int16Array.from([16384, -8192])))).toEqual([0.5, -0.25]);
  });
});

describe('WAV reader (16-bit PCM only)', () => {
  it('parses a generated stereo file and a real RAVDESS clip', () => {
    const pcm = Int16Array.from([1, -1, 2, -2, 3, -3]);
    expect(parseWavPcm16(wavBytes(pcm, 8000, 2))).toEqual({ sampleRate: 8000, channels: 2, pcm });
    const [clip] = ravdessClips('Actor_01', 1);
    expect(clip.pcm.length).toBeGreaterThan(16000 * 2);
  });

  it('refuses non-WAV data and other sample formats', () => {
    expect(() => parseWavPcm16(Buffer.from('not a wav file at all'))).toThrow(/not a RIFF\/WAVE/);
    expect(() => parseWavPcm16(wavBytes(new Int16Array(4), 8000, 1, 16, 3), 'x.wav')).toThrow(/x.wav: only 16-bit PCM/);
  });
});
