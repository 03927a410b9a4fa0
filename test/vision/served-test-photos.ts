import { requireDataPath } from '../../src/core/paths.js';
import { preprocessImage } from '../../src/features/image/preprocess.js';
import { parseImageFeatureSettings } from '../../src/features/image/settings.js';
import { loadClassifier } from '../../src/inference/classifier-loader.js';
import { listImageDataset, splitDataset } from '../../src/ingest/image-dataset.js';
import type { ModelVersion } from '../../src/models/model-repository.js';
import { summariseClassification } from '../../src/training/image/classification-summary.js';
import { decideLabel } from '../../src/training/image/decide-label.js';

/**
 * An image version's held-out test photos (its recorded split, re-made on the shared photos) through the
 * served path (manifest + ONNX through loadClassifier, batches of 16), summarised as served ("unknown" counts wrong).
 */
export async function servedTestPhotos(v: ModelVersion) {
  const split = splitDataset(listImageDataset(requireDataPath('animals', 'animal photos')).items, v.manifest.training.split as { seed: number });
  const labels = v.manifest.labels;
  const settings = parseImageFeatureSettings(v.manifest.features.settings);
  const classifier = await loadClassifier(v);
  const probs: number[][] = [];
  try {
    for (let i = 0; i < split.test.length; i += 16) {
      const chunk = await Promise.all(split.test.slice(i, i + 16).map(async (it) => (await preprocessImage(it.file, settings)).data));
      for (const p of await classifier.predict(chunk)) probs.push(Array.from(p));
    }
  } finally {
    await classifier.close();
  }
  const decided = probs.map((p) => decideLabel(labels, p, v.manifest.unknownThreshold));
  const summary = summariseClassification(labels, split.test.map((i) => i.label), probs, decided);
  return { split, settings, probs, summary, recorded: (v.manifest.metrics['transfer-cascade-gated'] as { test: typeof summary }).test };
}
