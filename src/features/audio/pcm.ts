/**
 * PCM conversions. Int16 full scale is 32768 (as soundfile / librosa read 16-bit WAV: x / 32768),
 * so -32768 maps to -1 exactly and 32767 to 0.99997.
 */

const INT16_SCALE = 32768;

/** Little-endian 16-bit PCM bytes -> Int16Array (copies; works for any Buffer alignment). */
export function int16FromLeBuffer(buf: Uint8Array): Int16Array {
  if (!(buf instanceof Uint8Array)) throw new Error(`int16FromLeBuffer expects a Buffer/Uint8Array, got ${typeof buf}`);
  if (buf.byteLength % 2 !== 0) throw new Error(`Int16 PCM needs an even number of bytes, got ${buf.byteLength}`);
  const out = new Int16Array(buf.byteLength / 2);
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  for (let i = 0; i < out.length; i++) out[i] = view.getInt16(2 * i, true);
  return out;
}

/** Int16Array -> little-endian bytes. */
export function int16ToLeBuffer(pcm: Int16Array): Buffer {
  const out = Buffer.alloc(pcm.length * 2);
  for (let i = 0; i < pcm.length; i++) out.writeInt16LE(pcm[i], 2 * i);
  return out;
}

/** Little-endian Int16 PCM bytes -> Float32 in [-1, 1). */
export function int16LeBufferToFloat32(buf: Uint8Array): Float32Array {
  return int16ToFloat32(int16FromLeBuffer(buf));
}

/** Float32 samples in [-1, 1] -> little-endian Int16 PCM bytes (rounded, clipped to the Int16 range). */
export function float32ToInt16LeBuffer(samples: Float32Array): Buffer {
  const out = Buffer.alloc(samples.length * 2);
  for (let i = 0; i < samples.length; i++) {
    const x = samples[i];
    if (Number.isNaN(x)) throw new Error(`float32ToInt16LeBuffer: sample ${i} is NaN`);
    const v = Math.round(x * INT16_SCALE);
    out.writeInt16LE(v > 32767 ? 32767 : v < -32768 ? -32768 : v, 2 * i);
  }
  return out;
}

export function int16ToFloat32(pcm: Int16Array): Float32Array {
  const out = new Float32Array(pcm.length);
  for (let i = 0; i < pcm.length; i++) out[i] = pcm[i] / INT16_SCALE;
  return out;
}

/** Int16 -> Float64 (exact), for the feature pipeline. */
export function int16ToFloat64(pcm: Int16Array): Float64Array {
  const out = new Float64Array(pcm.length);
  for (let i = 0; i < pcm.length; i++) out[i] = pcm[i] / INT16_SCALE;
  return out;
}

/** Float32 -> Float64, refusing NaN and infinities (the error names the first bad sample). */
export function float32ToFloat64(samples: Float32Array): Float64Array {
  assertFiniteSamples(samples);
  return Float64Array.from(samples);
}

/** Throws, naming the first one, when a sample is NaN or infinite. */
export function assertFiniteSamples(samples: Float32Array): void {
  for (let i = 0; i < samples.length; i++) {
    const x = samples[i];
    if (!Number.isFinite(x)) throw new Error(`PCM sample ${i} is ${x}; samples must be finite numbers in [-1, 1]`);
  }
}

/**
 * pcm[from .. to) as Float64 (Int16 / 32768, exact; Float32 as is) into out[outOffset ..]: the streaming
 * extractor converts straight into its sample buffer instead of copying a whole converted chunk.
 */
export function pcmIntoFloat64(pcm: Int16Array | Float32Array, from: number, to: number, out: Float64Array, outOffset: number): void {
  if (pcm instanceof Int16Array) {
    for (let i = from, j = outOffset; i < to; i++, j++) out[j] = pcm[i] / INT16_SCALE;
  } else {
    for (let i = from, j = outOffset; i < to; i++, j++) out[j] = pcm[i];
  }
}
