/**
 * The registry of colour encodings of a model's image input (`features.settings.colour` in its
 * manifest; absent = 'rgb'): each a small pure function of the resized RGB bytes, applied by
 * decodeResizedRgb, so training, serving and monitoring prepare every photo the same way.
 */

/** ITU-R BT.601 luma weights, as PIL's convert("L") and OpenCV's RGB2GRAY. */
export const LUMA_WEIGHTS = [0.299, 0.587, 0.114] as const;

/** Interleaved RGB bytes -> interleaved RGB bytes with R = G = B = round(luma). */
export function rgbToGray3(rgb: Uint8Array): Buffer {
  if (rgb.length % 3 !== 0) throw new Error(`rgbToGray3: ${rgb.length} bytes is not a whole number of RGB pixels`);
  const out = Buffer.alloc(rgb.length);
  const [wr, wg, wb] = LUMA_WEIGHTS;
  for (let i = 0; i < rgb.length; i += 3) {
    const y = Math.round(wr * rgb[i] + wg * rgb[i + 1] + wb * rgb[i + 2]);
    out[i] = y;
    out[i + 1] = y;
    out[i + 2] = y;
  }
  return out;
}

export const IMAGE_COLOURS = {
  /** The photo as decoded (sRGB). */
  rgb: (rgb: Buffer): Buffer => rgb,
  /** A colourless photo of the same size and range: luma in all three channels (the seed report's grayscale variant). */
  gray: rgbToGray3,
} as const satisfies Record<string, (rgb: Buffer) => Buffer>;

export type ImageColour = keyof typeof IMAGE_COLOURS;
export const IMAGE_COLOUR_NAMES = Object.keys(IMAGE_COLOURS) as [ImageColour, ...ImageColour[]];

/** The colour encoding `colour` (default 'rgb') applied to resized RGB bytes. */
export function encodeColour(rgb: Buffer, colour: ImageColour = 'rgb'): Buffer {
  const f = IMAGE_COLOURS[colour] as ((rgb: Buffer) => Buffer) | undefined;
  if (!f) throw new Error(`unknown image colour encoding ${JSON.stringify(colour)}; known: ${IMAGE_COLOUR_NAMES.join(', ')}`);
  return f(rgb);
}
