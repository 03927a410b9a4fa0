import sharp from 'sharp';
import { createRng } from '../seeding.js';

/**
 * Generated out-of-distribution images (no animal): uniform noise, blurred noise, solid colours and
 * colour gradients, as PNG bytes. Used to report how many of them the "unknown" threshold rejects.
 */
export async function outOfDistributionImages(seed: number, count = 24, size = 160): Promise<Buffer[]> {
  const rng = createRng(seed + 9001);
  const out: Buffer[] = [];
  for (let i = 0; i < count; i++) {
    const kind = i % 4;
    const px = Buffer.alloc(size * size * 3);
    if (kind === 0 || kind === 1) for (let j = 0; j < px.length; j++) px[j] = Math.floor(rng() * 256);
    else if (kind === 2) {
      const c = [rng(), rng(), rng()].map((v) => Math.floor(v * 256));
      for (let j = 0; j < px.length; j++) px[j] = c[j % 3];
    } else {
      const a = [rng(), rng(), rng()].map((v) => v * 255);
      const b = [rng(), rng(), rng()].map((v) => v * 255);
      for (let y = 0; y < size; y++) for (let x = 0; x < size; x++) for (let c = 0; c < 3; c++) px[(y * size + x) * 3 + c] = Math.round(a[c] + ((b[c] - a[c]) * (x + y)) / (2 * size));
    }
    let img = sharp(px, { raw: { width: size, height: size, channels: 3 } });
    if (kind === 1) img = img.blur(4);
    out.push(await img.png().toBuffer());
  }
  return out;
}
