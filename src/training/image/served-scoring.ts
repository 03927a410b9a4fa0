import { preprocessImage } from '../../features/image/preprocess.js';
import type { LoadedImageModel } from './commands.js';

/** Probabilities of a loaded (served) image model on image files, in batches; an unreadable image throws. */
export async function servedProbabilities(loaded: LoadedImageModel, files: readonly string[], batchSize = 16): Promise<number[][]> {
  const out: number[][] = [];
  for (let start = 0; start < files.length; start += batchSize) {
    const inputs = await Promise.all(files.slice(start, start + batchSize).map(async (f) => (await preprocessImage(f, loaded.settings)).data));
    for (const row of await loaded.classifier.predict(inputs)) out.push(Array.from(row));
  }
  return out;
}
