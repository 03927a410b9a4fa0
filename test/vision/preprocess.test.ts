import { readFileSync } from 'node:fs';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { ImageDecodeError, preprocessImage } from '../../src/features/image/preprocess.js';
import { DARKNET_INPUT_SETTINGS, parseImageFeatureSettings, SMALL_CNN_INPUT_SETTINGS } from '../../src/features/image/settings.js';
import { animalPhoto, hugeDimensionPng } from './helpers.js';

describe('image preprocessing on real photos', () => {
  it('gives 224x224x3 NHWC floats in [0,1] equal to the resized bytes / 255', async () => {
    const file = animalPhoto('cat', 0);
    const t = await preprocessImage(file, DARKNET_INPUT_SETTINGS);
    expect(t.shape).toEqual([224, 224, 3]);
    expect(t.data.length).toBe(224 * 224 * 3);
    expect(t.sourceWidth).toBeGreaterThan(100);
    const ref = await sharp(readFileSync(file)).rotate().resize({ width: 224, height: 224, fit: 'fill', kernel: 'linear' }).removeAlpha().raw().toBuffer();
    let maxDiff = 0;
    let min = Infinity;
    let max = -Infinity;
    for (let i = 0; i < ref.length; i++) {
      maxDiff = Math.max(maxDiff, Math.abs(t.data[i] - ref[i] / 255));
      min = Math.min(min, t.data[i]);
      max = Math.max(max, t.data[i]);
    }
    expect(maxDiff).toBeLessThan(1e-6);
    expect(min).toBeGreaterThanOrEqual(0);
    expect(max).toBeLessThanOrEqual(1);
    expect(max - min).toBeGreaterThan(0.5); // a real photo, not a blank
  });

  it('applies per-channel mean/std exactly as the settings say', async () => {
    const file = animalPhoto('fox', 1);
    const plain = await preprocessImage(file, SMALL_CNN_INPUT_SETTINGS);
    const mean = [0.485, 0.456, 0.406];
    const std = [0.229, 0.224, 0.225];
    const norm = await preprocessImage(file, parseImageFeatureSettings({ width: 64, height: 64, scale: 1 / 255, mean, std }));
    expect(norm.shape).toEqual([64, 64, 3]);
    for (const i of [0, 1, 2, 3001, 7000, 12287]) expect(norm.data[i]).toBeCloseTo((plain.data[i] - mean[i % 3]) / std[i % 3], 5);
  });

  it("'cover' centre-crops where 'fill' stretches", async () => {
    // 200x100: left half red, right half blue, a green stripe at the far left.
    const w = 200;
    const h = 100;
    const px = Buffer.alloc(w * h * 3);
    for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) px.set(x < 40 ? [0, 255, 0] : x < 100 ? [255, 0, 0] : [0, 0, 255], (y * w + x) * 3);
    const png = await sharp(px, { raw: { width: w, height: h, channels: 3 } }).png().toBuffer();
    const fill = await preprocessImage(png, parseImageFeatureSettings({ width: 10, height: 10, fit: 'fill' }));
    const cover = await preprocessImage(png, parseImageFeatureSettings({ width: 10, height: 10, fit: 'cover' }));
    expect(fill.data[1]).toBeGreaterThan(0.9); // the green stripe survives stretching
    expect(cover.data[1]).toBeLessThan(0.05); // and is cropped away by cover
    expect(cover.data[0]).toBeGreaterThan(0.9);
  });

  it('rotates by EXIF orientation', async () => {
    const png = await sharp({ create: { width: 40, height: 20, channels: 3, background: '#808080' } }).jpeg().withMetadata({ orientation: 6 }).toBuffer();
    const t = await preprocessImage(png, parseImageFeatureSettings({ width: 8, height: 8 }));
    expect([t.sourceWidth, t.sourceHeight]).toEqual([20, 40]);
  });
});

describe('image preprocessing of unusual and bad inputs', () => {
  const S = parseImageFeatureSettings({ width: 32, height: 32 });

  it('refuses a truncated JPEG with a clear error', async () => {
    const bytes = readFileSync(animalPhoto('dog', 2));
    const err = await preprocessImage(bytes.subarray(0, Math.floor(bytes.length / 2)), S, 'half.jpg').catch((e) => e);
    expect(err).toBeInstanceOf(ImageDecodeError);
    expect(err.reason).toBe('truncated');
    expect(err.message).toMatch(/half\.jpg: truncated or corrupt/);
  });

  it('refuses a file that is not an image', async () => {
    const err = await preprocessImage(Buffer.from('{"not": "an image"}\n'), S, 'notes.json').catch((e) => e);
    expect(err).toBeInstanceOf(ImageDecodeError);
    expect(err.reason).toBe('not-an-image');
    expect(err.message).toMatch(/notes\.json: not an image/);
  });

  it('refuses empty input', async () => {
    const err = await preprocessImage(Buffer.alloc(0), S).catch((e) => e);
    expect(err).toBeInstanceOf(ImageDecodeError);
    expect(err.reason).toBe('empty');
  });

  it('refuses a 10000x10000 image (decompression bomb) before decoding it', async () => {
    const bomb = hugeDimensionPng(10000, 10000);
    expect(bomb.length).toBeLessThan(10_000);
    expect((await sharp(bomb).metadata()).width).toBe(10000);
    const err = await preprocessImage(bomb, S, 'bomb.png').catch((e) => e);
    expect(err).toBeInstanceOf(ImageDecodeError);
    expect(err.reason).toBe('too-large');
    expect(err.message).toMatch(/bomb\.png: image is too large/);
  });

  it('turns grayscale into three equal channels', async () => {
    const gray = await sharp(readFileSync(animalPhoto('cat', 3))).toColourspace('b-w').jpeg().toBuffer();
    expect((await sharp(gray).metadata()).channels).toBe(1);
    const t = await preprocessImage(gray, S);
    expect(t.shape).toEqual([32, 32, 3]);
    for (let i = 0; i < t.data.length; i += 3) {
      expect(t.data[i]).toBe(t.data[i + 1]);
      expect(t.data[i]).toBe(t.data[i + 2]);
    }
  });

  it('converts CMYK to RGB', async () => {
    const rgb = await sharp({ create: { width: 16, height: 16, channels: 3, background: { r: 200, g: 30, b: 40 } } }).png().toBuffer();
    const cmyk = await sharp(rgb).toColourspace('cmyk').jpeg({ quality: 95 }).toBuffer();
    expect((await sharp(cmyk).metadata()).space).toBe('cmyk');
    const t = await preprocessImage(cmyk, S);
    expect(t.shape).toEqual([32, 32, 3]);
    expect(t.data[0]).toBeGreaterThan(0.6); // red stays red
    expect(t.data[1]).toBeLessThan(0.3);
    expect(t.data[2]).toBeLessThan(0.3);
  });

  it('flattens PNG alpha onto the background colour', async () => {
    const transparentRed = await sharp({ create: { width: 10, height: 10, channels: 4, background: { r: 255, g: 0, b: 0, alpha: 0 } } }).png().toBuffer();
    const halfRed = await sharp({ create: { width: 10, height: 10, channels: 4, background: { r: 255, g: 0, b: 0, alpha: 0.5 } } }).png().toBuffer();
    const onBlack = parseImageFeatureSettings({ width: 4, height: 4, background: [0, 0, 0] });
    const t0 = await preprocessImage(transparentRed, onBlack);
    expect(Array.from(t0.data.slice(0, 3))).toEqual([0, 0, 0]);
    const t1 = await preprocessImage(halfRed, S); // white background by default
    expect(t1.data[0]).toBeCloseTo(1, 2);
    expect(t1.data[1]).toBeCloseTo(0.5, 1);
    expect(t1.shape).toEqual([32, 32, 3]);
  });

  it('refuses settings it does not understand', () => {
    expect(() => parseImageFeatureSettings({ width: 64, height: 64, layout: 'NCHW' })).toThrow(/layout/);
    expect(() => parseImageFeatureSettings({ width: 64, height: 64, mean: [0.5] })).toThrow(/mean/);
  });
});
