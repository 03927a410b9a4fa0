import { z } from 'zod';
import { IMAGE_COLOUR_NAMES } from './colour-encodings.js';

/**
 * Settings of the image feature extractor, stored verbatim in a model manifest's
 * `features.settings`. The serving side parses them with `parseImageFeatureSettings` and prepares
 * every frame exactly as the training images were prepared:
 *
 *   decode (EXIF-rotated, alpha flattened onto `background`, converted to sRGB) ->
 *   resize to width x height (`fit`: 'fill' stretches, 'cover' centre-crops) ->
 *   value = pixel * scale, then (value - mean[c]) / std[c] per RGB channel when given ->
 *   Float32 [height, width, 3] (NHWC).
 */
export const imageFeatureSettingsSchema = z
  .object({
    width: z.number().int().positive().max(4096),
    height: z.number().int().positive().max(4096),
    fit: z.enum(['cover', 'fill']).default('fill'),
    /** Pixel bytes (0..255) are multiplied by this; 1/255 gives [0, 1]. */
    scale: z.number().positive().default(1 / 255),
    /** Per-channel (R, G, B) mean subtracted after scaling. */
    mean: z.array(z.number()).length(3).optional(),
    /** Per-channel (R, G, B) std divided by after the mean. */
    std: z.array(z.number().positive()).length(3).optional(),
    layout: z.literal('NHWC').default('NHWC'),
    /** Colour transparent pixels are flattened onto (0..255 RGB). */
    background: z.array(z.number().int().min(0).max(255)).length(3).default([255, 255, 255]),
    /** Larger decoded images are refused (decompression bombs). */
    maxInputPixels: z.number().int().positive().default(50_000_000),
    /** sharp resize kernel. */
    kernel: z.enum(['nearest', 'linear', 'cubic', 'lanczos3']).default('linear'),
    /** Colour encoding after the resize (colour-encodings.ts); absent: 'rgb'. */
    colour: z.enum(IMAGE_COLOUR_NAMES).optional(),
  })
  .strict();

export type ImageFeatureSettings = z.infer<typeof imageFeatureSettingsSchema>;
export type ImageFeatureSettingsInput = z.input<typeof imageFeatureSettingsSchema>;

export function parseImageFeatureSettings(raw: unknown): ImageFeatureSettings {
  const r = imageFeatureSettingsSchema.safeParse(raw);
  if (!r.success) {
    const i = r.error.issues[0];
    throw new Error(`image feature settings: ${i.path.join('.') || '(root)'}: ${i.message}`);
  }
  return r.data;
}

/**
 * Darknet-Tiny's input at `size` x `size` RGB in [0, 1], stretched like ml5 does. The network is
 * fully convolutional up to its global pooling, so it runs at any size; ImageNet training used 224.
 */
export function darknetInputSettings(size = 224): ImageFeatureSettings {
  return parseImageFeatureSettings({ width: size, height: size, fit: 'fill', scale: 1 / 255 });
}

/** Darknet-Tiny's native input: 224x224. */
export const DARKNET_INPUT_SETTINGS: ImageFeatureSettings = darknetInputSettings(224);

/** The from-scratch CNN's input: 64x64 RGB in [0, 1]. */
export const SMALL_CNN_INPUT_SETTINGS: ImageFeatureSettings = parseImageFeatureSettings({ width: 64, height: 64, fit: 'fill', scale: 1 / 255 });

/** Short stable key of the settings (goes into video.tensor meta as featureKey). */
export function imageFeatureKey(s: ImageFeatureSettings): string {
  const norm = s.mean ? `-m${s.mean.map((v) => v.toFixed(4)).join(',')}-s${(s.std ?? [1, 1, 1]).map((v) => v.toFixed(4)).join(',')}` : '';
  return `img-${s.width}x${s.height}-${s.fit}-${s.kernel}-x${s.scale.toPrecision(6)}${norm}${s.colour && s.colour !== 'rgb' ? `-${s.colour}` : ''}`;
}
