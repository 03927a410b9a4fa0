/**
 * `npm run bench -- image-backbones`: the pretrained backbones compared (src/training/image/backbone-comparison.ts),
 * one JSON object on stdout.
 *
 *   bash scripts/fetch-efficientnet-lite0.sh /tmp/efficientnet-lite0
 *   EFFICIENTNET_LITE0=/tmp/efficientnet-lite0 [NON_ANIMAL_PHOTOS=DIR] [BENCH_AUGMENTED_COPIES=2 BENCH_SEEDS=5] npm run bench -- image-backbones
 */
import { runIfExecutedDirectly } from './run-directly.js';
import { compareBackbones } from '../src/training/image/backbone-comparison.js';

export async function run(): Promise<unknown> {
  const dir = process.env.EFFICIENTNET_LITE0;
  if (!dir) throw new Error('set EFFICIENTNET_LITE0 to the converted weights (bash scripts/fetch-efficientnet-lite0.sh DEST)');
  const { testPredictions: _p, testLabels: _l, ...r } = await compareBackbones({ efficientNet: dir, nonAnimal: process.env.NON_ANIMAL_PHOTOS, augmentedCopies: Number(process.env.BENCH_AUGMENTED_COPIES ?? 0), seeds: Number(process.env.BENCH_SEEDS ?? 1), log: () => {} });
  return { suite: 'image-backbones', ...r };
}

runIfExecutedDirectly(import.meta.url, run);
