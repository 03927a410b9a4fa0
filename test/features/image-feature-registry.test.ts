/**
 * The image colour encodings (src/features/image/colour-encodings.ts), chosen by the settings'
 * `colour`, through decode, the features stage and the monitoring batch; and the monitored image
 * statistics (src/monitoring/image-statistics.ts) on generated images with known values.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, describe, expect, it } from 'vitest';
import type { Message } from '../../src/bus/envelope.js';
import { TOPICS } from '../../src/bus/topics.js';
import { repoRoot } from '../../src/core/paths.js';
import { IMAGE_COLOUR_NAMES, LUMA_WEIGHTS, encodeColour } from '../../src/features/image/colour-encodings.js';
import { decodeResizedRgb, normaliseRgb, preprocessImage } from '../../src/features/image/preprocess.js';
import { imageFeatureKey, parseImageFeatureSettings } from '../../src/features/image/settings.js';
import { imageFeaturesStage } from '../../src/features/image/stage.js';
import { featureKeyOf } from '../../src/models/manifest.js';
import { augmentedRgb, FLIP_ONLY } from '../../src/training/image/augment.js';
import type { ModelVersion } from '../../src/models/model-repository.js';
import { imageBatch } from '../../src/monitoring/batch.js';
import { IMAGE_STATISTIC_NAMES, imageStatisticFunctions } from '../../src/monitoring/image-statistics.js';
import { imageObservation } from '../../src/monitoring/observations.js';

/** A 40x30 PNG with a red/green/blue gradient, so every channel differs. */
async function gradientPng(): Promise<Buffer> {
  const w = 40;
  const h = 30;
  const raw = Buffer.alloc(w * h * 3);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const i = 3 * (y * w + x);
      raw[i] = Math.round((255 * x) / (w - 1));
      raw[i + 1] = Math.round((255 * y) / (h - 1));
      raw[i + 2] = 255 - raw[i];
    }
  }
  return sharp(raw, { raw: { width: w, height: h, channels: 3 } }).png().toBuffer();
}

const W = 24;
const H = 16;
/** A colourful image with known pixels: red rises left to right, green top to bottom, blue a checkerboard. */
function sourcePixels(): Buffer {
  const px = Buffer.alloc(W * H * 3);
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) px.set([Math.round((255 * x) / (W - 1)), Math.round((255 * y) / (H - 1)), (x + y) % 2 ? 230 : 20], 3 * (y * W + x));
  }
  return px;
}
const png = (px: Buffer, w = W, h = H) => sharp(px, { raw: { width: w, height: h, channels: 3 } }).png().toBuffer();
const luma = (r: number, g: number, b: number) => Math.round(0.299 * r + 0.587 * g + 0.114 * b);

const tmp = mkdtempSync(join(tmpdir(), 'streamlens-image-registry-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('image colour encodings (the image feature registry)', () => {
  it('gray puts the BT.601 luma of the resized RGB in all three channels; rgb leaves it as decoded', async () => {
    const png = await gradientPng();
    const rgbSettings = parseImageFeatureSettings({ width: 16, height: 12 });
    const graySettings = parseImageFeatureSettings({ width: 16, height: 12, colour: 'gray' });
    const { rgb } = await decodeResizedRgb(png, rgbSettings);
    const { rgb: gray } = await decodeResizedRgb(png, graySettings);
    expect(gray.length).toBe(rgb.length);
    let distinctChannels = 0;
    for (let i = 0; i < rgb.length; i += 3) {
      const luma = Math.round(LUMA_WEIGHTS[0] * rgb[i] + LUMA_WEIGHTS[1] * rgb[i + 1] + LUMA_WEIGHTS[2] * rgb[i + 2]);
      expect([gray[i], gray[i + 1], gray[i + 2]]).toEqual([luma, luma, luma]);
      if (rgb[i] !== rgb[i + 1] || rgb[i + 1] !== rgb[i + 2]) distinctChannels++;
    }
    expect(distinctChannels).toBeGreaterThan(rgb.length / 6);
    // The model input follows: scaled luma in every channel.
    const tensor = (await preprocessImage(png, graySettings)).data;
    expect(tensor[0]).toBeCloseTo(gray[0] / 255, 6);
    expect(tensor[1]).toBe(tensor[0]);
    expect(encodeColour(rgb, 'rgb')).toBe(rgb);
  });

  it('an unknown encoding is refused with the known ones named', () => {
    expect(() => parseImageFeatureSettings({ width: 8, height: 8, colour: 'sepia' })).toThrow(/image feature settings: colour: .*"rgb".*"gray"/);
    expect(() => encodeColour(Buffer.alloc(3), 'sepia' as never)).toThrow(/unknown image colour encoding "sepia"; known: rgb, gray/);
    expect(IMAGE_COLOUR_NAMES).toEqual(['rgb', 'gray']);
  });

  it("shipped manifests parse unchanged (no colour: rgb) and gray gets a feature key of its own", () => {
    const manifest = JSON.parse(readFileSync(join(repoRoot, 'models', 'animal', '2', 'manifest.json'), 'utf8'));
    const s = parseImageFeatureSettings(manifest.features.settings);
    expect('colour' in s).toBe(false);
    expect(imageFeatureKey(s)).not.toContain('gray');
    expect(imageFeatureKey({ ...s, colour: 'gray' })).toBe(`${imageFeatureKey(s)}-gray`);
  });
});

describe('colour encodings in the features stage and the training augmentation', () => {
  it('gives augmented training photos the model\u2019s colour encoding too', async () => {
    const bytes = await png(sourcePixels());
    const gray = parseImageFeatureSettings({ width: W, height: H, kernel: 'nearest', colour: 'gray' });
    const rgb = parseImageFeatureSettings({ width: W, height: H, kernel: 'nearest' });
    const mirroredGray = await augmentedRgb(bytes, gray, FLIP_ONLY);
    const mirroredRgb = await augmentedRgb(bytes, rgb, FLIP_ONLY);
    expect(Array.from(mirroredGray)).toEqual(Array.from(encodeColour(mirroredRgb, 'gray')));
    expect(Array.from(mirroredGray)).not.toEqual(Array.from(mirroredRgb));
  });

  it('makes the features stage send grey tensors for a gray model, on both tensor transports', async () => {
    const settings = parseImageFeatureSettings({ width: 32, height: 32, colour: 'gray', mean: [0.5, 0.5, 0.5], std: [0.25, 0.25, 0.25] });
    const jpeg = await sharp(sourcePixels(), { raw: { width: W, height: H, channels: 3 } }).jpeg({ quality: 95 }).toBuffer();
    const frame: Message = { type: 'video.frame', env: { streamId: 's', seq: 1, capturedAt: Date.now() }, meta: {}, jpeg };
    const input = { message: frame, source: { topic: TOPICS.videoFrames, partition: 0, offset: 0, key: 's', value: Buffer.alloc(0), headers: {}, timestamp: Date.now() } };
    const [[rgb8]] = (await imageFeaturesStage({ settings }).process([input])) as { message: Message }[][];
    const [[f32]] = (await imageFeaturesStage({ settings, encoding: 'f32' }).process([input])) as { message: Message }[][];
    if (rgb8.message.type !== 'video.tensor' || f32.message.type !== 'video.tensor') throw new Error('expected video.tensor');
    const bytes = rgb8.message.data as Uint8Array;
    let distinct = 0;
    for (let i = 0; i < bytes.length; i += 3) {
      expect(bytes[i + 1]).toBe(bytes[i]);
      expect(bytes[i + 2]).toBe(bytes[i]);
      if (bytes[i] !== bytes[0]) distinct++;
    }
    expect(distinct).toBeGreaterThan(100);
    expect(Array.from(f32.message.data)).toEqual(Array.from(normaliseRgb(bytes, settings)));
    // a gray model's tensors are told apart from an rgb model's with otherwise equal settings
    const { colour, ...rgbSettings } = settings;
    void colour;
    expect(rgb8.message.meta.featureKey).not.toBe(featureKeyOf({ kind: 'image', settings: rgbSettings as unknown as Record<string, unknown> }));
  });
});

describe('monitored image statistics', () => {
  it('measures a flat colour: brightness its luma, no contrast or sharpness, its channels and saturation', () => {
    const px = Buffer.alloc(W * H * 3);
    for (let i = 0; i < px.length; i += 3) px.set([200, 100, 50], i);
    const o = imageObservation(px, W, H);
    expect(Object.keys(o.numeric)).toEqual(IMAGE_STATISTIC_NAMES);
    expect(o.numeric.brightness).toBeCloseTo((0.299 * 200 + 0.587 * 100 + 0.114 * 50) / 255, 6);
    expect(o.numeric.contrast).toBeCloseTo(0, 6);
    expect(o.numeric.sharpness).toBeCloseTo(0, 6);
    expect([o.numeric.mean_r, o.numeric.mean_g, o.numeric.mean_b].map((v) => v * 255)).toEqual([200, 100, 50].map((v) => expect.closeTo(v, 6)));
    expect(o.numeric.saturation).toBeCloseTo((200 - 50) / 200, 6);
  });

  it('measures a black and white checkerboard on the sampled grid: contrast 1/2, Laplacian 4, no saturation', () => {
    // every second pixel of every second row is read: make those alternate black / white
    const px = Buffer.alloc(16 * 16 * 3);
    for (let y = 0; y < 16; y++) for (let x = 0; x < 16; x++) if ((Math.floor(x / 2) + Math.floor(y / 2)) % 2) px.fill(255, 3 * (y * 16 + x), 3 * (y * 16 + x) + 3);
    const o = imageObservation(px, 16, 16);
    expect(o.numeric.brightness).toBeCloseTo(0.5, 6);
    expect(o.numeric.contrast).toBeCloseTo(0.5, 6);
    expect(o.numeric.sharpness).toBeCloseTo(4, 5);
    expect(o.numeric.saturation).toBe(0);
  });

  it('reads the normalised Float32 tensor as the bytes it came from', () => {
    const s = parseImageFeatureSettings({ width: W, height: H, mean: [0.4, 0.5, 0.6], std: [0.2, 0.3, 0.4] });
    const px = sourcePixels();
    const fromBytes = imageObservation(px, W, H);
    const fromTensor = imageObservation(normaliseRgb(px, s), W, H, s);
    for (const name of IMAGE_STATISTIC_NAMES) expect(fromTensor.numeric[name], name).toBeCloseTo(fromBytes.numeric[name], 5);
    expect(fromBytes.numeric.saturation).toBeGreaterThan(0.2);
  });

  it('builds the observation from the names asked for and names unknown ones with the known ones', () => {
    const px = sourcePixels();
    const all = imageObservation(px, W, H);
    const some = imageObservation(px, W, H, undefined, ['sharpness', 'mean_g']);
    expect(some.numeric).toEqual({ sharpness: all.numeric.sharpness, mean_g: all.numeric.mean_g });
    expect(() => imageObservation(px, W, H, undefined, ['brightness', 'hue'])).toThrow(`unknown image statistic "hue" (known: ${IMAGE_STATISTIC_NAMES.join(', ')})`);
    expect(() => imageStatisticFunctions(['x', 'y'])).toThrow(/^unknown image statistics "x", "y" \(known: brightness, contrast, /);
  });

  it('are taken on the model\u2019s colour encoding in the monitoring batch, after a simulated shift of the decoded photo', async () => {
    const file = join(tmp, 'colour.png');
    writeFileSync(file, await png(sourcePixels()));
    expect(readFileSync(file).length).toBeGreaterThan(0);
    const version = (colour?: 'gray') =>
      ({ dir: tmp, manifest: { name: 'probe', version: '1', features: { kind: 'image', settings: { width: W, height: H, kernel: 'nearest', ...(colour ? { colour } : {}) } } } }) as unknown as ModelVersion;
    // a camera with no blue: the shift acts on the decoded sRGB, the gray encoding comes after it
    const noBlue = (rgb: Buffer) => {
      const out = Buffer.from(rgb);
      for (let i = 2; i < out.length; i += 3) out[i] = 0;
      return out;
    };
    const colour = (await imageBatch(version(), [file], { predict: false })).observations.numeric;
    const grey = (await imageBatch(version('gray'), [file], { predict: false })).observations.numeric;
    const greyShifted = (await imageBatch(version('gray'), [file], { predict: false, transformRgb: noBlue })).observations.numeric;
    expect(colour.saturation[0]).toBeGreaterThan(0.2);
    expect(colour.mean_r[0]).not.toBeCloseTo(colour.mean_g[0], 2);
    for (const o of [grey, greyShifted]) {
      expect(o.saturation[0]).toBe(0);
      expect(o.mean_g[0]).toBeCloseTo(o.mean_r[0], 12);
      expect(o.mean_b[0]).toBeCloseTo(o.mean_r[0], 12);
    }
    expect(grey.brightness[0]).toBeCloseTo(colour.brightness[0], 2); // rounded luma, same brightness
    // the shifted brightness is the mean grey level of the blue-less pixels on the sampled grid
    const src = sourcePixels();
    let sum = 0;
    let n = 0;
    for (let y = 0; y < H; y += 2) {
      for (let x = 0; x < W; x += 2, n++) sum += luma(src[3 * (y * W + x)], src[3 * (y * W + x) + 1], 0) / 255;
    }
    expect(greyShifted.brightness[0]).toBeCloseTo(sum / n, 5);
    expect(greyShifted.brightness[0]).toBeLessThan(grey.brightness[0]);
  });
});
