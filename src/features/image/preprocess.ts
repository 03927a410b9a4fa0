import sharp, { type Sharp } from 'sharp';
import type { ImageFeatureSettings } from './settings.js';
import { encodeColour } from './colour-encodings.js';

/** A bad image: the caller dead-letters it. `reason` is a short label for metrics. */
export class ImageDecodeError extends Error {
  constructor(
    message: string,
    readonly reason: 'not-an-image' | 'truncated' | 'too-large' | 'empty' | 'decode',
  ) {
    super(message);
    this.name = 'ImageDecodeError';
  }
}

export interface PreprocessedImage {
  /** Float32 [height, width, 3], normalised as the settings say. */
  data: Float32Array;
  shape: [number, number, number];
  /** Size of the decoded source image (after EXIF rotation). */
  sourceWidth: number;
  sourceHeight: number;
}

/** A sharp pipeline that refuses bombs and truncated files, EXIF-rotates and yields sRGB without alpha. */
export function decodePipeline(input: Buffer | string, s: Pick<ImageFeatureSettings, 'maxInputPixels' | 'background'>): Sharp {
  return sharp(input, { failOn: 'truncated', limitInputPixels: s.maxInputPixels, sequentialRead: true })
    .rotate()
    .flatten({ background: { r: s.background[0], g: s.background[1], b: s.background[2] } })
    .toColourspace('srgb');
}

/** Maps sharp/libvips error messages to clear ones. */
export function explainSharpError(e: unknown, what: string): ImageDecodeError {
  const msg = (e as Error)?.message ?? String(e);
  if (/pixel limit/i.test(msg)) return new ImageDecodeError(`${what}: image is too large to decode (${msg})`, 'too-large');
  if (/unsupported image format|Input buffer contains unsupported|Input file contains unsupported/i.test(msg)) {
    return new ImageDecodeError(`${what}: not an image (unsupported or unrecognised format)`, 'not-an-image');
  }
  if (/premature end|truncated|Corrupt JPEG|end of (file|stream)|VipsJpeg|read error|out of order read/i.test(msg)) {
    return new ImageDecodeError(`${what}: truncated or corrupt image data (${msg.split('\n')[0]})`, 'truncated');
  }
  if (/empty/i.test(msg)) return new ImageDecodeError(`${what}: empty input`, 'empty');
  return new ImageDecodeError(`${what}: cannot decode image (${msg.split('\n')[0]})`, 'decode');
}

/** Decode + resize to width x height RGB bytes (0..255) in the settings' colour encoding, before scaling. */
export async function decodeResizedRgb(
  input: Buffer | string,
  s: ImageFeatureSettings,
  what = typeof input === 'string' ? input : 'image',
): Promise<{ rgb: Buffer; sourceWidth: number; sourceHeight: number }> {
  if (Buffer.isBuffer(input) && input.length === 0) throw new ImageDecodeError(`${what}: empty input (0 bytes)`, 'empty');
  try {
    const pipeline = decodePipeline(input, s);
    const meta = await sharp(input, { limitInputPixels: s.maxInputPixels }).metadata();
    const rotated = (meta.orientation ?? 1) >= 5;
    const sourceWidth = (rotated ? meta.height : meta.width) ?? 0;
    const sourceHeight = (rotated ? meta.width : meta.height) ?? 0;
    const { data, info } = await pipeline
      .resize({ width: s.width, height: s.height, fit: s.fit, position: 'centre', kernel: s.kernel })
      .raw()
      .toBuffer({ resolveWithObject: true });
    if (info.channels !== 3 || info.width !== s.width || info.height !== s.height) {
      throw new ImageDecodeError(`${what}: decoded to ${info.width}x${info.height}x${info.channels}, expected ${s.width}x${s.height}x3`, 'decode');
    }
    return { rgb: encodeColour(data, s.colour), sourceWidth, sourceHeight };
  } catch (e) {
    if (e instanceof ImageDecodeError) throw e;
    const explained = explainSharpError(e, what);
    if (explained.reason === 'decode' && Buffer.isBuffer(input) && looksTruncated(input)) {
      throw new ImageDecodeError(`${what}: truncated image data (${explained.message.slice(what.length + 2)})`, 'truncated');
    }
    throw explained;
  }
}

/** A JPEG without its end-of-image marker, or a PNG without its IEND chunk. */
export function looksTruncated(b: Buffer): boolean {
  const n = b.length;
  if (n >= 2 && b[0] === 0xff && b[1] === 0xd8) return !(b[n - 2] === 0xff && b[n - 1] === 0xd9);
  if (n >= 8 && b.readUInt32BE(0) === 0x89504e47) return b.lastIndexOf('IEND', n - 1, 'latin1') < 0;
  return false;
}

/** RGB bytes -> normalised Float32 (scale, then per-channel mean/std), written into `out` at `offset`. */
export function normaliseRgb(rgb: Uint8Array, s: ImageFeatureSettings, out?: Float32Array, offset = 0): Float32Array {
  const n = rgb.length;
  const dst = out ?? new Float32Array(n);
  const scale = s.scale;
  if (s.mean || s.std) {
    const mean = s.mean ?? [0, 0, 0];
    const std = s.std ?? [1, 1, 1];
    for (let i = 0; i < n; i++) {
      const c = i % 3;
      dst[offset + i] = (rgb[i] * scale - mean[c]) / std[c];
    }
  } else {
    for (let i = 0; i < n; i++) dst[offset + i] = rgb[i] * scale;
  }
  return dst;
}

/** Decodes one image (bytes or a file path) into the model's input tensor. Throws ImageDecodeError on bad input. */
export async function preprocessImage(input: Buffer | string, s: ImageFeatureSettings, what?: string): Promise<PreprocessedImage> {
  const { rgb, sourceWidth, sourceHeight } = await decodeResizedRgb(input, s, what);
  return { data: normaliseRgb(rgb, s), shape: [s.height, s.width, 3], sourceWidth, sourceHeight };
}
