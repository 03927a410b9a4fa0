import sharp from 'sharp';
import { encodeColour } from '../../features/image/colour-encodings.js';
import { decodePipeline, explainSharpError } from '../../features/image/preprocess.js';
import type { ImageFeatureSettings } from '../../features/image/settings.js';

/** Random image augmentation ranges (the defaults suit photos of animals). */
export interface AugmentOptions {
  /** Rotation uniformly in [-maxRotateDeg, maxRotateDeg]. */
  maxRotateDeg: number;
  /** Zoom-in factor uniformly in [1, maxZoom] (crop 1/zoom of each side, then resize back). */
  maxZoom: number;
  /** Shift of the crop centre, as a fraction of width/height, uniformly in [-maxShift, maxShift]. */
  maxShift: number;
  /** Horizontal mirror with probability 0.5. */
  flip: boolean;
  /** Brightness offset uniformly in [-brightness, brightness] x 255. */
  brightness: number;
  /** Contrast factor uniformly in [1 - contrast, 1 + contrast] around mid-grey. */
  contrast: number;
}

export const DEFAULT_AUGMENT: AugmentOptions = { maxRotateDeg: 15, maxZoom: 1.25, maxShift: 0.08, flip: true, brightness: 0.15, contrast: 0.2 };

/**
 * Augmentation `strength` times the default ranges (rotation, zoom above 1, shift, brightness,
 * contrast); 0 leaves only the mirror. The image head's hyperparameter search varies it.
 */
export function scaledAugment(strength: number, base: AugmentOptions = DEFAULT_AUGMENT): AugmentOptions {
  if (!(strength >= 0) || !Number.isFinite(strength)) throw new Error(`augmentation strength must be a finite number >= 0, got ${strength}`);
  return {
    maxRotateDeg: base.maxRotateDeg * strength,
    maxZoom: 1 + (base.maxZoom - 1) * strength,
    maxShift: base.maxShift * strength,
    flip: base.flip,
    brightness: base.brightness * strength,
    contrast: base.contrast * strength,
  };
}

/** One concrete draw of the random parameters (recorded so a variant can be reproduced). */
export interface AugmentDraw {
  angle: number;
  zoom: number;
  shiftX: number;
  shiftY: number;
  flip: boolean;
  brightness: number;
  contrast: number;
}

export function drawAugment(rng: () => number, o: AugmentOptions = DEFAULT_AUGMENT): AugmentDraw {
  const u = (a: number, b: number) => a + (b - a) * rng();
  return {
    angle: u(-o.maxRotateDeg, o.maxRotateDeg),
    zoom: u(1, o.maxZoom),
    shiftX: u(-o.maxShift, o.maxShift),
    shiftY: u(-o.maxShift, o.maxShift),
    flip: o.flip && rng() < 0.5,
    brightness: u(-o.brightness, o.brightness),
    contrast: u(1 - o.contrast, 1 + o.contrast),
  };
}

/** The identity draw with only a horizontal mirror. */
export const FLIP_ONLY: AugmentDraw = { angle: 0, zoom: 1, shiftX: 0, shiftY: 0, flip: true, brightness: 0, contrast: 1 };

/**
 * Decodes an image and applies one augmentation draw: rotate (the corners filled by edge-mean
 * grey), zoom + shift crop, mirror, contrast/brightness, then the settings' resize. Returns
 * width x height x 3 RGB bytes in the settings' colour encoding (as decodeResizedRgb), ready for `normaliseRgb`.
 */
export async function augmentedRgb(input: Buffer | string, s: ImageFeatureSettings, d: AugmentDraw): Promise<Buffer> {
  const what = typeof input === 'string' ? input : 'image';
  try {
    const base = await decodePipeline(input, s).raw().toBuffer({ resolveWithObject: true });
    let { width: w, height: h } = base.info;
    let img = base.data;
    const raw = (width: number, height: number) => ({ raw: { width, height, channels: 3 as const } });
    if (Math.abs(d.angle) > 0.01) {
      const r = await sharp(img, raw(w, h))
        .rotate(d.angle, { background: { r: 124, g: 116, b: 104 } })
        .raw()
        .toBuffer({ resolveWithObject: true });
      // Keep the original frame size around the centre: the corners show a little fill, not a shrunken image.
      const left = Math.max(0, Math.floor((r.info.width - w) / 2));
      const top = Math.max(0, Math.floor((r.info.height - h) / 2));
      img = await sharp(r.data, raw(r.info.width, r.info.height)).extract({ left, top, width: w, height: h }).raw().toBuffer();
    }
    const cw = Math.max(8, Math.round(w / d.zoom));
    const ch = Math.max(8, Math.round(h / d.zoom));
    const clamp = (v: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, v));
    const left = clamp(Math.round((w - cw) / 2 + d.shiftX * w), 0, w - cw);
    const top = clamp(Math.round((h - ch) / 2 + d.shiftY * h), 0, h - ch);
    let p = sharp(img, raw(w, h)).extract({ left, top, width: cw, height: ch });
    if (d.flip) p = p.flop();
    const a = d.contrast;
    p = p.linear(a, 128 * (1 - a) + d.brightness * 255);
    const out = await sharp(await p.raw().toBuffer(), raw(cw, ch))
      .resize({ width: s.width, height: s.height, fit: s.fit, position: 'centre', kernel: s.kernel })
      .raw()
      .toBuffer();
    w = s.width;
    h = s.height;
    if (out.length !== w * h * 3) throw new Error(`augmented image has ${out.length} bytes, expected ${w * h * 3}`);
    return encodeColour(out, s.colour);
  } catch (e) {
    throw explainSharpError(e, what);
  }
}
