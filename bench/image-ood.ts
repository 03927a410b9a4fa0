/**
 * "None of these" for the animal model (issue 26): how well each out-of-distribution score tells the
 * held-out animal photos from real non-animal photos, one JSON object on stdout.
 *
 * Scores (higher = more animal-like), all from the served model's graphs (each graph cut before any
 * appended gate, so these are the classifier's own scores):
 *  - maxSoftmax: the graph's top class probability (what an unknown threshold acts on);
 *  - energy: log sum exp of the head's logits (Liu et al., 2020);
 *  - nearestClassMean: minus the Euclidean distance of the backbone embedding to the nearest training
 *    class mean (the monitored `emb_class_distance`);
 *  - mahalanobis: minus the smallest Mahalanobis distance to a class mean under the shared training
 *    covariance, shrunk towards its mean variance (Lee et al., 2018; src/training/image/class-gaussians.ts, shrinkage 0.1, fixed, not tuned);
 *  - mahalanobisPerClass: the same with each class's own covariance (same shrinkage).
 * The ImageNet-mass gate is measured by `streamlens train image --none-gate` (BENCHMARKS.md).
 * `shipped`: what the served version answers (its cascade, its gates and its unknown threshold), on
 * the test photos and on the non-animal photos, also per half of them by sorted name (even positions:
 * the half the fast stage's gate setting was chosen on; odd: held out from every choice).
 *
 * Per score: ROC AUC (animals = positive) and FPR at 95% TPR on the held-out test photos, and the
 * operating point a shipped gate would use: the threshold keeping GATE_KEEP_VALIDATION (98%) of the *validation* animals,
 * with the test recall per class and the share of non-animal photos it answers "unknown". No threshold
 * or setting is chosen on the non-animal photos.
 *
 *   bash scripts/fetch-non-animal-photos.sh /tmp/non-animal-photos
 *   NON_ANIMAL_PHOTOS=/tmp/non-animal-photos npm run bench -- image-ood   (or npx tsx bench/image-ood.ts)
 *   (BENCH_MODEL / BENCH_MODEL_VERSION pick another model or version; default the latest animal)
 */
import { readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { runIfExecutedDirectly } from './run-directly.js';
import { rocAucBinary } from '../src/analysis/curves.js';
import { requireDataPath } from '../src/core/paths.js';
import { decodeResizedRgb, normaliseRgb } from '../src/features/image/preprocess.js';
import { parseImageFeatureSettings } from '../src/features/image/settings.js';
import { IMAGE_EXTENSIONS, listImageDataset, splitDataset } from '../src/ingest/image-dataset.js';
import { loadClassifier } from '../src/inference/classifier-loader.js';
import { embedAll, embeddingGraph, headInputName, headLogitNames } from '../src/monitoring/embedding.js';
import { createOnnxSession } from '../src/inference/onnx-session.js';
import { summariseClassification } from '../src/training/image/classification-summary.js';
import { decideLabel, UNKNOWN_LABEL } from '../src/training/image/commands.js';
import { resolveModel } from '../src/models/model-repository.js';
import { fitClassGaussians, nearestEuclidean, nearestMahalanobis, type CovarianceKind } from '../src/training/image/class-gaussians.js';
import { GATE_KEEP_VALIDATION } from '../src/training/image/mahalanobis-gate.js';

const KEEP_VALIDATION_RECALL = GATE_KEEP_VALIDATION;

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
  const v = resolveModel(process.env.BENCH_MODEL ?? 'animal', process.env.BENCH_MODEL_VERSION || undefined);
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
  /** Each set through `graphFile` cut at the value `at` names (the head's input or output). */
  const embedOn = async (graphFile: string, at: (onnx: Uint8Array) => string) => {
    const bytes = new Uint8Array(readFileSync(join(v.dir, graphFile)));
    const session = await createOnnxSession(embeddingGraph(bytes, at(bytes)), { rewrite: false });
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
  const served = async (t: Float32Array[]) => {
    const out: string[] = [];
    for (let i = 0; i < t.length; i += 16) for (const p of await classifier.predict(t.slice(i, i + 16))) out.push(decideLabel(labels, p, v.manifest.unknownThreshold));
    return out;
  };
  const shippedTest = await served(sets.test);
  const shippedNonAnimal = await served(sets.nonAnimal);
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
  const methods: Record<string, unknown> = {};
  // Embeddings of every graph of the version: the fast stage's head input (what the cascade answers most photos with) and the full model's.
  const graphs = [...new Set([v.manifest.files.fastOnnx, v.manifest.files.onnx].filter((f): f is string => f !== undefined))];
  const embeddingSize: Record<string, number> = {};
  const yTrain = split.train.map((i) => labels.indexOf(i.label));
  type Scores = { validation: number[]; test: number[]; nonAnimal: number[] };
  const mahalanobisScores: Record<CovarianceKind, Record<string, Scores>> = { shared: {}, 'per-class': {} };
  /** Per graph and set: the head's probabilities (an ensemble head's: its members' softmaxes averaged) and its energy (members' mean). */
  const headScoresOf: Record<string, Record<'validation' | 'test' | 'nonAnimal', { probs: number[][]; energy: number[] }>> = {};
  const logSumExp = (l: Float32Array) => {
    const m = Math.max(...l);
    return m + Math.log(l.reduce((a, x) => a + Math.exp(x - m), 0));
  };
  for (const graph of graphs) {
    const bytes = new Uint8Array(readFileSync(join(v.dir, graph)));
    const members: Array<Awaited<ReturnType<typeof embedOn>>> = [];
    for (const name of headLogitNames(bytes)) members.push(await embedOn(graph, () => name));
    const side = (k: 'validation' | 'test' | 'nonAnimal') => {
      const rows = members[0][k].map((_, i) => members.map((m) => m[k][i]));
      return {
        probs: rows.map((ls) => labels.map((_, j) => ls.reduce((a, l) => a + Math.exp(l[j] - logSumExp(l)), 0) / ls.length)),
        energy: rows.map((ls) => ls.reduce((a, l) => a + logSumExp(l), 0) / ls.length),
      };
    };
    const h = { validation: side('validation'), test: side('test'), nonAnimal: side('nonAnimal') };
    headScoresOf[graph] = h;
    methods[`maxSoftmax(${graph})`] = evaluate(h.validation.probs.map((p) => Math.max(...p)), h.test.probs.map((p) => Math.max(...p)), h.nonAnimal.probs.map((p) => Math.max(...p)));
    methods[`energy(${graph})`] = evaluate(h.validation.energy, h.test.energy, h.nonAnimal.energy);
    const emb = await embedOn(graph, headInputName);
    embeddingSize[graph] = emb.train[0].length;
    const g = fitClassGaussians(emb.train, yTrain, labels.length);
    const perClass = fitClassGaussians(emb.train, yTrain, labels.length, 0.1, 'per-class');
    const scorers: Record<string, (e: Float32Array) => number> = {
      nearestClassMean: (e) => -nearestEuclidean(g, e),
      mahalanobis: (e) => -nearestMahalanobis(g, e),
      mahalanobisPerClass: (e) => -nearestMahalanobis(perClass, e),
    };
    for (const [name, score] of Object.entries(scorers)) {
      methods[`${name}(${graph})`] = evaluate(emb.validation.map(score), emb.test.map(score), emb.nonAnimal.map(score));
    }
    const scored = (score: (e: Float32Array) => number): Scores => ({ validation: emb.validation.map(score), test: emb.test.map(score), nonAnimal: emb.nonAnimal.map(score) });
    mahalanobisScores.shared[graph] = scored(scorers.mahalanobis);
    mahalanobisScores['per-class'][graph] = scored(scorers.mahalanobisPerClass);
  }
  // The served rule with both gates, for a range of fast-stage gate settings: the fast stage answers a
  // photo when its Mahalanobis score keeps it (at the share `fastKeep` of the validation animals) and
  // its top probability reaches the cascade threshold; every other photo escalates to the full model,
  // which answers "unknown" beyond its gate (GATE_KEEP_VALIDATION of validation kept) or below the unknown threshold.
  const fast = v.manifest.files.fastOnnx;
  const full = v.manifest.files.onnx;
  const cascadeThreshold = v.manifest.cascade?.threshold;
  const twoStage: Record<string, unknown>[] = [];
  for (const covariance of ['shared', 'per-class'] as const) {
    if (!(fast && full && fast !== full && cascadeThreshold !== undefined)) break;
    const f = mahalanobisScores[covariance][fast];
    const g = mahalanobisScores[covariance][full];
    const tFull = keepThreshold(g.validation, KEEP_VALIDATION_RECALL);
    const top = (p: number[]) => {
      const m = Math.max(...p);
      return { p: m, label: labels[p.indexOf(m)] };
    };
    const unknownAt = v.manifest.unknownThreshold ?? 0;
    for (const fastKeep of [0.8, 0.9, 0.95, 0.97, 1]) {
      const tFast = keepThreshold(f.validation, fastKeep);
      const answer = (side: 'test' | 'nonAnimal', i: number) => {
        const a = top(headScoresOf[fast][side].probs[i]);
        if (f[side][i] >= tFast && a.p >= cascadeThreshold) return { label: a.label, escalated: false };
        const b = top(headScoresOf[full][side].probs[i]);
        return { label: g[side][i] >= tFull && b.p >= unknownAt ? b.label : UNKNOWN_LABEL, escalated: true };
      };
      const test = split.test.map((_, i) => answer('test', i));
      const non = nonAnimal.map((_, i) => answer('nonAnimal', i));
      const summary = summariseClassification(labels, split.test.map((i) => i.label), split.test.map(() => labels.map(() => 1 / labels.length)), test.map((a) => a.label));
      const unknownIn = (rows: typeof non) => Number((rows.filter((a) => a.label === UNKNOWN_LABEL).length / rows.length).toFixed(4));
      twoStage.push({
        covariance,
        fastKeepsValidation: fastKeep,
        escalatedTestAnimals: Number((test.filter((a) => a.escalated).length / test.length).toFixed(4)),
        testAccuracy: Number(summary.accuracy.toFixed(4)),
        testRecall: Object.fromEntries(labels.map((l) => [l, Number(summary.perClass[l].recall.toFixed(4))])),
        nonAnimalAnsweredUnknown: unknownIn(non),
        choiceHalf: unknownIn(non.filter((_, i) => i % 2 === 0)),
        heldOutHalf: unknownIn(non.filter((_, i) => i % 2 === 1)),
      });
    }
  }
  const unknownShare = (d: readonly string[]) => Number((d.filter((x) => x === UNKNOWN_LABEL).length / d.length).toFixed(4));
  const testSummary = summariseClassification(labels, split.test.map((i) => i.label), split.test.map(() => labels.map(() => 1 / labels.length)), shippedTest);
  return {
    suite: 'image-ood',
    model: `${v.manifest.name}/${v.manifest.version}`,
    embeddingSize,
    photos: { train: sets.train.length, validation: sets.validation.length, test: sets.test.length, nonAnimal: nonAnimal.length },
    shipped: {
      unknownThreshold: v.manifest.unknownThreshold ?? null,
      gated: (v.manifest.training as { oodGate?: unknown }).oodGate !== undefined,
      testAccuracy: Number(testSummary.accuracy.toFixed(4)),
      testUnknown: unknownShare(shippedTest),
      testRecall: Object.fromEntries(labels.map((l) => [l, Number(testSummary.perClass[l].recall.toFixed(4))])),
      nonAnimalAnsweredUnknown: unknownShare(shippedNonAnimal),
      nonAnimalAnsweredUnknownChoiceHalf: unknownShare(shippedNonAnimal.filter((_, i) => i % 2 === 0)),
      nonAnimalAnsweredUnknownHeldOutHalf: unknownShare(shippedNonAnimal.filter((_, i) => i % 2 === 1)),
      nonAnimalPassedAsAnimal: nonAnimal.flatMap((f, i) => (shippedNonAnimal[i] === UNKNOWN_LABEL ? [] : [`${basename(f)}: ${shippedNonAnimal[i]}`])),
    },
    gateKeepsValidationRecall: KEEP_VALIDATION_RECALL,
    methods,
    servedRuleByFastGate: twoStage,
  };
}

runIfExecutedDirectly(import.meta.url, run);
