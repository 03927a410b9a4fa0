/**
 * The shipped animal model under webcam conditions (issue 26, point 2), one JSON object on stdout:
 * accuracy and recall per class of the served model (manifest + ONNX through the loader, its answers as
 * served: "unknown" below its unknown threshold or beyond its gate counts wrong) on the held-out test photos, as they are and after each condition is applied to the photo before it is served:
 *  - lowLight: linear brightness x0.25 with a gamma of 1.4 (a dim room), then JPEG at quality 85;
 *  - motionBlur: a horizontal 9-pixel box blur (a moving animal or camera);
 *  - jpeg30: JPEG at quality 30 (a constrained stream);
 *  - offCentre: the photo shifted by a third of its width (right), the gap filled with black;
 *  - partlyVisible: only the left 60% of the photo.
 * The conditions are fixed, not tuned: the model never saw them in training (its augmentation is
 * rotation, zoom, shift, mirror, contrast and brightness).
 *
 *   npm run bench -- image-conditions     (or npx tsx bench/image-conditions.ts; BENCH_MODEL_VERSION=2 for another version)
 */
import sharp from 'sharp';
import { runIfExecutedDirectly } from './run-directly.js';
import { classificationReport } from '../src/analysis/classification.js';
import { requireDataPath } from '../src/core/paths.js';
import { preprocessImage } from '../src/features/image/preprocess.js';
import { parseImageFeatureSettings } from '../src/features/image/settings.js';
import { listImageDataset, splitDataset } from '../src/ingest/image-dataset.js';
import { loadClassifier } from '../src/inference/classifier-loader.js';
import { resolveModel } from '../src/models/model-repository.js';
import { decideLabel, UNKNOWN_LABEL } from '../src/training/image/commands.js';

type Condition = (file: string) => Promise<Buffer | string>;

const CONDITIONS: Record<string, Condition> = {
  original: async (f) => f,
  lowLight: (f) => sharp(f).gamma(1, 1.4).linear(0.25, 0).jpeg({ quality: 85 }).toBuffer(),
  motionBlur: (f) => sharp(f).convolve({ width: 9, height: 3, kernel: [...new Array<number>(9).fill(0), ...new Array<number>(9).fill(1), ...new Array<number>(9).fill(0)] }).jpeg({ quality: 85 }).toBuffer(),
  jpeg30: (f) => sharp(f).jpeg({ quality: 30 }).toBuffer(),
  offCentre: async (f) => {
    const { width = 0, height = 0 } = await sharp(f).metadata();
    const shift = Math.round(width / 3);
    const kept = await sharp(f).extract({ left: 0, top: 0, width: width - shift, height }).toBuffer();
    return sharp({ create: { width, height, channels: 3, background: { r: 0, g: 0, b: 0 } } })
      .composite([{ input: kept, left: shift, top: 0 }])
      .jpeg({ quality: 85 })
      .toBuffer();
  },
  partlyVisible: async (f) => {
    const { width = 0, height = 0 } = await sharp(f).metadata();
    return sharp(f).extract({ left: 0, top: 0, width: Math.round(width * 0.6), height }).jpeg({ quality: 85 }).toBuffer();
  },
};

export async function run(): Promise<unknown> {
  const v = resolveModel(process.env.BENCH_MODEL ?? 'animal', process.env.BENCH_MODEL_VERSION || undefined);
  const labels = v.manifest.labels;
  const split = splitDataset(listImageDataset(requireDataPath('animals', 'animal photos')).items, (v.manifest.training as { split: { seed: number } }).split);
  const s = parseImageFeatureSettings(v.manifest.features.settings);
  const classifier = await loadClassifier(v);
  const conditions: Record<string, unknown> = {};
  try {
    for (const [name, apply] of Object.entries(CONDITIONS)) {
      const predicted: string[] = [];
      for (let i = 0; i < split.test.length; i += 16) {
        const part = split.test.slice(i, i + 16);
        const inputs = await Promise.all(part.map(async (it) => (await preprocessImage(await apply(it.file), s, it.file)).data));
        for (const p of await classifier.predict(inputs)) predicted.push(decideLabel(labels, p, v.manifest.unknownThreshold));
      }
      const report = classificationReport(split.test.map((it) => it.label), predicted, labels);
      conditions[name] = {
        accuracy: Number(report.accuracy.toFixed(4)),
        unknown: Number((predicted.filter((p) => p === UNKNOWN_LABEL).length / predicted.length).toFixed(4)),
        recall: Object.fromEntries(report.perClass.map((c) => [c.label, Number(c.recall.toFixed(4))])),
      };
    }
  } finally {
    await classifier.close();
  }
  return { suite: 'image-conditions', model: `${v.manifest.name}/${v.manifest.version}`, testPhotos: split.test.length, conditions };
}

runIfExecutedDirectly(import.meta.url, run);
