/**
 * The grayscale variant of the image pipeline: each pixel's luma (ITU-R BT.601 weights, as PIL's
 * convert("L") and OpenCV's RGB2GRAY) replicated into the three channels, so a backbone trained on
 * RGB sees a colourless photo of the same size and range.
 */

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
