import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../../src/core/paths.js';
import { IMAGE_COLOUR_NAMES, LUMA_WEIGHTS, encodeColour } from '../../src/features/image/colour-encodings.js';
import { decodeResizedRgb, preprocessImage } from '../../src/features/image/preprocess.js';
import { imageFeatureKey, parseImageFeatureSettings } from '../../src/features/image/settings.js';

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
