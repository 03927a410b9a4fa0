/**
 * "None of these" for the animal model (issue 26): how well each out-of-distribution score tells the
 * held-out animal photos from real non-animal photos, one JSON object on stdout.
 *
 * Scores (higher = more animal-like), all from the served model's graphs:
 *  - maxSoftmax: the served model's top probability (what the manifest's unknownThreshold acts on);
 *  - nearestClassMean: minus the Euclidean distance of the backbone embedding to the nearest training
 *    class mean (the monitored `emb_class_distance`);
 *  - mahalanobis: minus the smallest Mahalanobis distance to a class mean under the shared training
 *    covariance, shrunk towards its mean variance (Lee et al., 2018; src/training/image/class-gaussians.ts, shrinkage 0.1, fixed, not tuned).
 * Energy needs logits and the served graph ends in a softmax, so it is not measured here; the
 * ImageNet-mass gate is measured by `streamlens train image --none-gate` (BENCHMARKS.md).
 *
 * Per score: ROC AUC (animals = positive) and FPR at 95% TPR on the held-out test photos, and the
 * operating point a shipped gate would use: the threshold keeping 97% of the *validation* animals,
 * with the test recall per class and the share of non-animal photos it answers "unknown". No threshold
 * or setting is chosen on the non-animal photos.
 *
 *   bash scripts/fetch-non-animal-photos.sh /tmp/non-animal-photos
 *   NON_ANIMAL_PHOTOS=/tmp/non-animal-photos npm run bench -- image-ood   (or npx tsx bench/image-ood.ts)
 */
import { readdirSync } from 'node:fs';
import { basename, join } from 'node:path';
import { runIfExecutedDirectly } from './run-directly.js';
import { rocAucBinary } from '../src/analysis/curves.js';
import { requireDataPath } from '../src/core/paths.js';
import { decodeResizedRgb, normaliseRgb } from '../src/features/image/preprocess.js';
import { parseImageFeatureSettings } from '../src/features/image/settings.js';
import { IMAGE_EXTENSIONS, listImageDataset, splitDataset } from '../src/ingest/image-dataset.js';
import { loadClassifier } from '../src/inference/classifier-loader.js';
import { createEmbeddingSession, embedAll } from '../src/monitoring/embedding.js';
import { resolveModel } from '../src/models/model-repository.js';
import { fitClassGaussians, nearestEuclidean, nearestMahalanobis } from '../src/training/image/class-gaussians.js';

const KEEP_VALIDATION_RECALL = 0.97;

/** Threshold keeping `keep` of the scores (the (1 - keep) quantile, lower side). */
function keepThreshold(scores: readonly number[], keep: number): number {
  const sorted = [...scores].sort((a, b) => b - a);
  return sorted[Math.min(sorted.length - 1, Math.ceil(keep * sorted.length) - 1)];
}

/** False-positive rate at the threshold keeping `tpr` of the positives. */
function fprAtTpr(pos: readonly number[], neg: readonly number[], tpr: number): number {
  const t = keepThreshold(pos, tpr);
  return neg.filter((s) => s >= t).length / neg.length;
}

export async function run(): Promise<unknown> {
  const dir = process.env.NON_ANIMAL_PHOTOS;
  if (!dir) throw new Error('set NON_ANIMAL_PHOTOS to a folder of non-animal photos (bash scripts/fetch-non-animal-photos.sh DEST)');
  const nonAnimal = readdirSync(dir)
    .filter((f) => IMAGE_EXTENSIONS.test(f))
    .sort()
    .map((f) => join(dir, f));
  const v = resolveModel(process.env.BENCH_MODEL ?? 'animal');
  const labels = v.manifest.labels;
  const split = splitDataset(listImageDataset(requireDataPath('animals', 'animal photos')).items, (v.manifest.training as { split: { seed: number } }).split);
  const s = parseImageFeatureSettings(v.manifest.features.settings);
  const tensorsOf = (files: readonly string[]) => Promise.all(files.map(async (f) => normaliseRgb((await decodeResizedRgb(f, s)).rgb, s)));
  const sets = {
    train: await tensorsOf(split.train.map((i) => i.file)),
    validation: await tensorsOf(split.validation.map((i) => i.file)),
    test: await tensorsOf(split.test.map((i) => i.file)),
    nonAnimal: await tensorsOf(nonAnimal),
  };
  const embedOn = async (graphFile: string) => {
    const { session } = await createEmbeddingSession(v, graphFile);
    const shape = v.manifest.inputs[0].shape.slice(1);
    try {
      return {
        train: await embedAll(session, shape, sets.train),
        validation: await embedAll(session, shape, sets.validation),
        test: await embedAll(session, shape, sets.test),
        nonAnimal: await embedAll(session, shape, sets.nonAnimal),
      };
    } finally {
      await session.dispose();
    }
  };
  const classifier = await loadClassifier(v);
  const topProb = async (t: Float32Array[]) => {
    const out: number[] = [];
    for (let i = 0; i < t.length; i += 16) for (const p of await classifier.predict(t.slice(i, i + 16))) out.push(Math.max(...p));
    return out;
  };
  const msp = { validation: await topProb(sets.validation), test: await topProb(sets.test), nonAnimal: await topProb(sets.nonAnimal) };
  await classifier.close();

  /** Per class, the share of its test photos a gate lets through as animals. */
  const keptRecallPerClass = (kept: (testIndex: number) => boolean) =>
    Object.fromEntries(
      labels.map((l) => {
        const idx = split.test.map((it, i) => (it.label === l ? i : -1)).filter((i) => i >= 0);
        return [l, Number((idx.filter(kept).length / idx.length).toFixed(4))];
      }),
    );
  const evaluate = (val: readonly number[], test: readonly number[], neg: readonly number[]) => {
    const threshold = keepThreshold(val, KEEP_VALIDATION_RECALL);
    return {
      rocAuc: Number(rocAucBinary([...test.map(() => 1), ...neg.map(() => 0)], [...test, ...neg], 1).toFixed(4)),
      fprAt95Tpr: Number(fprAtTpr(test, neg, 0.95).toFixed(4)),
      gate: {
        threshold: Number(threshold.toPrecision(6)),
        keptTestAnimals: Number((test.filter((t) => t >= threshold).length / test.length).toFixed(4)),
        keptRecallPerClass: keptRecallPerClass((i) => test[i] >= threshold),
        nonAnimalAnsweredUnknown: Number((neg.filter((t) => t < threshold).length / neg.length).toFixed(4)),
        nonAnimalPassedAsAnimal: nonAnimal.filter((_, i) => neg[i] >= threshold).map((f) => basename(f)),
      },
    };
  };
  const methods: Record<string, unknown> = { maxSoftmax: evaluate(msp.validation, msp.test, msp.nonAnimal) };
  // Embeddings of every graph of the version: the fast stage's head input (what the cascade answers most photos with) and the full model's.
  const graphs = [...new Set([v.manifest.files.fastOnnx, v.manifest.files.onnx].filter((f): f is string => f !== undefined))];
  const embeddingSize: Record<string, number> = {};
  const yTrain = split.train.map((i) => labels.indexOf(i.label));
  const mahalanobisScores: Record<string, { validation: number[]; test: number[]; nonAnimal: number[] }> = {};
  for (const graph of graphs) {
    const emb = await embedOn(graph);
    embeddingSize[graph] = emb.train[0].length;
    const g = fitClassGaussians(emb.train, yTrain, labels.length);
    const scorers: Record<string, (e: Float32Array) => number> = {
      nearestClassMean: (e) => -nearestEuclidean(g, e),
      mahalanobis: (e) => -nearestMahalanobis(g, e),
    };
    for (const [name, score] of Object.entries(scorers)) {
      methods[`${name}(${graph})`] = evaluate(emb.validation.map(score), emb.test.map(score), emb.nonAnimal.map(score));
    }
    mahalanobisScores[graph] = { validation: emb.validation.map(scorers.mahalanobis), test: emb.test.map(scorers.mahalanobis), nonAnimal: emb.nonAnimal.map(scorers.mahalanobis) };
  }
  // A two-stage gate in the cascade's spirit: photos the fast stage's Mahalanobis score calls clearly
  // animal (at or above the score keeping `fastKeep` of the validation animals) are answered without the
  // full model; the others escalate to the full model's Mahalanobis gate (97% of validation kept).
  const fast = v.manifest.files.fastOnnx;
  const full = v.manifest.files.onnx;
  const twoStage: Record<string, unknown>[] = [];
  if (fast && full && fast !== full) {
    const f = mahalanobisScores[fast];
    const g = mahalanobisScores[full];
    const tFull = keepThreshold(g.validation, KEEP_VALIDATION_RECALL);
    for (const fastKeep of [0.5, 0.7, 0.8, 0.9]) {
      const tFast = keepThreshold(f.validation, fastKeep);
      const animal = (side: 'test' | 'nonAnimal', i: number) => f[side][i] >= tFast || g[side][i] >= tFull;
      const escalated = (side: 'test' | 'nonAnimal') => f[side].filter((x) => x < tFast).length / f[side].length;
      twoStage.push({
        fastKeepsValidation: fastKeep,
        escalatedTestAnimals: Number(escalated('test').toFixed(4)),
        escalatedNonAnimal: Number(escalated('nonAnimal').toFixed(4)),
        keptRecallPerClass: keptRecallPerClass((i) => animal('test', i)),
        nonAnimalAnsweredUnknown: Number((f.nonAnimal.filter((_, i) => !animal('nonAnimal', i)).length / f.nonAnimal.length).toFixed(4)),
      });
    }
  }
  const shipped = v.manifest.unknownThreshold;
  return {
    suite: 'image-ood',
    model: `${v.manifest.name}/${v.manifest.version}`,
    embeddingSize,
    photos: { train: sets.train.length, validation: sets.validation.length, test: sets.test.length, nonAnimal: nonAnimal.length },
    shippedUnknownThreshold: shipped ?? null,
    shippedNonAnimalAnsweredUnknown: shipped === undefined ? 0 : Number((msp.nonAnimal.filter((p) => p < shipped).length / nonAnimal.length).toFixed(4)),
    gateKeepsValidationRecall: KEEP_VALIDATION_RECALL,
    methods,
    twoStageMahalanobisGate: twoStage,
  };
}

runIfExecutedDirectly(import.meta.url, run);
