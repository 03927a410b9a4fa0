/**
 * `streamlens train image-gate`: publishes the next version of a shipped image model with the
 * Mahalanobis "none of these" gates appended to its graphs (mahalanobis-gate.ts). The classifier is
 * the base version's, bit for bit; only the gates are new, fitted on the base's recorded training
 * split and calibrated on its validation split, so the held-out test photos stay unseen.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { appendSectionsToReportHtml } from '../../analysis/report-append.js';
import { writeReport } from '../../analysis/report.js';
import { parseImageFeatureSettings } from '../../features/image/settings.js';
import { listImageDataset, splitDataset, type LabelledImage } from '../../ingest/image-dataset.js';
import { modelsRoot, publishVersion, readVersion, resolveModel, type ModelVersion } from '../../models/model-repository.js';
import { writeReference } from '../../monitoring/shipped.js';
import { summariseClassification, type ClassificationSummary } from './classification-summary.js';
import { UNKNOWN_LABEL } from './decide-label.js';
import { isGateNode } from '../../inference/onnx/distance-gate.js';
import { decodeOnnxModel } from '../../inference/onnx/onnx-proto.js';
import { gateServedGraphs, OOD_GATE_METHOD, type ServedGraphs, type StageGateCalibration } from './mahalanobis-gate.js';
import { labelledOutOfDistributionImages } from './ood-images.js';
import { IMAGE_MODEL_MAX_BATCH_SIZE } from './max-batch-size.js';
import { scoreServedGraphs, type ServedImageScores } from './onnx-scoring.js';

export interface GateImageOptions {
  /** Base model: a name in the repository (latest version, or `version`) or a version folder. Default 'animal'. */
  model?: string;
  version?: string;
  /** The folder the base was trained on (its recorded split is re-made on it and checked). */
  data: string;
  /** Model repository root to publish into (default models/, STREAMLENS_MODELS). */
  out?: string;
  /** Progress lines (default stderr). */
  log?: (line: string) => void;
}

export interface GateImageResult {
  base: { name: string; version: string };
  gates: { full: StageGateCalibration; fast: StageGateCalibration | null };
  /** Held-out figures of the base and the gated version as served ("unknown" counts wrong). */
  validation: { base: ClassificationSummary; gated: ClassificationSummary };
  test: { base: ClassificationSummary; gated: ClassificationSummary; baseEscalated: number; gatedEscalated: number };
  /** Share of generated non-animal images (noise, solid, gradients, shapes, text) answered "unknown". */
  generatedUnknown: { base: number; gated: number };
  dir?: string;
  version?: string;
}

function readBaseGraphs(v: ModelVersion): ServedGraphs {
  const { onnx, fastOnnx } = v.manifest.files;
  if (!onnx) throw new Error(`model ${v.manifest.name} v${v.manifest.version} has no ONNX graph to gate`);
  const read = (f: string) => new Uint8Array(readFileSync(join(v.dir, f)));
  return { onnx: read(onnx), ...(fastOnnx && v.manifest.cascade ? { fastOnnx: read(fastOnnx) } : {}) };
}

/** The base version's recorded split, re-made on `data` and checked against the counts and reference photos it records. */
function recordedSplit(v: ModelVersion, data: string) {
  const training = v.manifest.training as { split?: { seed?: number; testFraction?: number; validationFraction?: number; train?: number; validation?: number; test?: number }; referencePredictions?: { id: string }[] };
  const rec = training.split;
  if (rec?.seed === undefined) throw new Error(`model ${v.manifest.name} v${v.manifest.version} does not record its split seed: cannot tell its training photos from its test photos`);
  const split = splitDataset(listImageDataset(data).items, { seed: rec.seed, testFraction: rec.testFraction, validationFraction: rec.validationFraction });
  const counts = { train: split.train.length, validation: split.validation.length, test: split.test.length };
  const mismatch = (['train', 'validation', 'test'] as const).filter((k) => rec[k] !== undefined && rec[k] !== counts[k]);
  const testIds = new Set(split.test.map((i) => i.id));
  const missing = (training.referencePredictions ?? []).filter((r) => !testIds.has(r.id));
  if (mismatch.length || missing.length) {
    throw new Error(`${data} is not the folder model ${v.manifest.name} v${v.manifest.version} was trained on: its split gives ${mismatch.map((k) => `${counts[k]} ${k} photos (recorded ${rec[k]})`).join(', ') || `test photos without ${missing[0].id}`}`);
  }
  return split;
}

const share = (xs: readonly boolean[]) => xs.filter(Boolean).length / xs.length;

/** Publishes the gated next version of an image model (see the file comment); returns what was measured. */
export async function gateImageVersion(options: GateImageOptions): Promise<GateImageResult> {
  const log = options.log ?? ((l: string) => process.stderr.write(l + '\n'));
  const m = options.model ?? 'animal';
  const base = existsSync(join(m, 'manifest.json')) ? readVersion(m) : resolveModel(m, options.version);
  const bm = base.manifest;
  if (bm.features.kind !== 'image') throw new Error(`model ${bm.name} v${bm.version} is not an image model`);
  if (bm.unknownThreshold === undefined) throw new Error(`model ${bm.name} v${bm.version} has no unknown threshold: the gate's uniform answer would not read "unknown"`);
  if (!(bm.unknownThreshold > 1 / bm.labels.length)) throw new Error(`model ${bm.name} v${bm.version}: unknown threshold ${bm.unknownThreshold} is not above 1/${bm.labels.length}, so the gate's uniform answer would not read "unknown"`);
  const s = parseImageFeatureSettings(bm.features.settings);
  const data = resolve(options.data);
  const split = recordedSplit(base, data);
  const graphs = readBaseGraphs(base);
  if (decodeOnnxModel(graphs.onnx).graph.node.some(isGateNode)) throw new Error(`model ${bm.name} v${bm.version} already has a gate (base version ${String(bm.training.baseVersion ?? '?')}); gate an ungated version`);
  const started = Date.now();
  log(`[train:image-gate] ${bm.name} v${bm.version}: fitting class Gaussians on ${split.train.length} training photos, calibrating on ${split.validation.length} validation photos`);
  const gated = await gateServedGraphs(graphs, s, split, bm.labels);
  const score = (g: ServedGraphs, inputs: Array<string | Buffer>) => scoreServedGraphs(g, s, inputs, bm.labels, bm.cascade?.threshold, bm.unknownThreshold);
  const files = (list: LabelledImage[]) => list.map((i) => i.file);
  const summary = (list: LabelledImage[], r: ServedImageScores) => summariseClassification(bm.labels, list.map((i) => i.label), r.probs, r.decided);
  const [baseVal, gatedVal, baseTest, gatedTest] = [await score(graphs, files(split.validation)), await score(gated, files(split.validation)), await score(graphs, files(split.test)), await score(gated, files(split.test))];
  const generated = (await labelledOutOfDistributionImages(42, 36)).map((g) => g.image);
  const unknownShare = async (g: ServedGraphs) => share((await score(g, generated)).decided.map((d) => d === UNKNOWN_LABEL));
  const result: GateImageResult = {
    base: { name: bm.name, version: bm.version },
    gates: gated.gates,
    validation: { base: summary(split.validation, baseVal), gated: summary(split.validation, gatedVal) },
    test: { base: summary(split.test, baseTest), gated: summary(split.test, gatedTest), baseEscalated: share(baseTest.escalated), gatedEscalated: share(gatedTest.escalated) },
    generatedUnknown: { base: await unknownShare(graphs), gated: await unknownShare(gated) },
  };
  const t = result.test.gated;
  log(
    `[train:image-gate] gates: full model ${gated.gates.full.maxDistance} (keeps ${(gated.gates.full.validationKept * 100).toFixed(1)}% of validation)` +
      (gated.gates.fast ? `, fast stage ${gated.gates.fast.maxDistance} (${(gated.gates.fast.validationKept * 100).toFixed(1)}%)` : '') +
      `; test accuracy ${t.accuracy.toFixed(4)} (${t.unknown} unknown), recall ${bm.labels.map((l) => `${l} ${t.perClass[l].recall.toFixed(3)}`).join(', ')}; escalated ${(result.test.gatedEscalated * 100).toFixed(1)}% (base ${(result.test.baseEscalated * 100).toFixed(1)}%); ${Math.round((Date.now() - started) / 1000)} s`,
  );

  // Reference outputs on the base's reference photos, through the gated graphs (what the served path must reproduce).
  const refs = ((bm.training as { referencePredictions?: { id: string; label: string }[] }).referencePredictions ?? []).map((r) => split.test.find((i) => i.id === r.id)!);
  const refProbs = (await score(gated, files(refs))).probs;
  const reportDir = mkdtempSync(join(tmpdir(), 'streamlens-gate-report-'));
  try {
    // The base's training report with the gate's sections appended (a report of its own when the base has none).
    const report = gateReport(bm, result, data);
    const baseReport = bm.files.report ? join(base.dir, bm.files.report) : null;
    const html = baseReport && existsSync(baseReport) ? await appendSectionsToReportHtml(readFileSync(baseReport, 'utf8'), report.title, report.sections, undefined, 'ood-gate') : null;
    if (html) writeFileSync(join(reportDir, 'report.html'), html);
    else await writeReport(reportDir, report);
    const { name: _n, version: _v, sha256: _s, created: _c, ...rest } = bm;
    const version = publishVersion(
      bm.name,
      {
        ...rest,
        maxBatchSize: bm.maxBatchSize ?? IMAGE_MODEL_MAX_BATCH_SIZE,
        files: { onnx: 'model.onnx', ...(gated.fastOnnx ? { fastOnnx: 'fast.onnx' } : {}), report: 'report.html' },
        training: {
          ...bm.training,
          baseVersion: bm.version,
          oodGate: {
            method: OOD_GATE_METHOD,
            fitOn: `train split (${split.train.length} photos, originals)`,
            calibratedOn: `validation split (${split.validation.length} photos)`,
            ...gated.gates,
            generatedUnknown: result.generatedUnknown,
          },
          referencePredictions: refs.map((r, i) => ({ id: r.id, label: r.label, probs: refProbs[i].map((p) => Number(p.toFixed(6))) })),
        },
        metrics: { ...bm.metrics, 'transfer-cascade-gated': { validation: result.validation.gated, test: result.test.gated } },
      },
      { 'model.onnx': Buffer.from(gated.onnx), ...(gated.fastOnnx ? { 'fast.onnx': Buffer.from(gated.fastOnnx) } : {}), 'report.html': readFileSync(join(reportDir, 'report.html')) },
      options.out ?? modelsRoot(),
    );
    await writeReference(version, { media: 'image', files: files(split.train), labels: split.train.map((i) => i.label) }, { data: String(bm.training.data ?? data), split: `train split (seed ${(bm.training.split as { seed: number }).seed})` });
    result.dir = version.dir;
    result.version = version.manifest.version;
    log(`[train:image-gate] published ${version.dir}`);
  } finally {
    rmSync(reportDir, { recursive: true, force: true });
  }
  return result;
}

function gateReport(bm: ModelVersion['manifest'], r: GateImageResult, data: string) {
  const labels = bm.labels;
  const row = (name: string, v: ClassificationSummary, t: ClassificationSummary) => [name, v.accuracy, t.accuracy, t.unknown ?? 0, ...labels.map((l) => t.perClass[l].recall)];
  const gate = (g: StageGateCalibration | null, stage: string) =>
    g ? [stage, g.embedding, g.dims, g.keepValidation, g.maxDistance, g.validationKept] : [stage, '-', '-', '-', '-', '-'];
  return {
    title: `${bm.name}: "none of these" gate on v${bm.version}`,
    sections: [
      {
        kind: 'keyValue' as const,
        title: 'What changed',
        entries: {
          'base version': `${bm.name} v${bm.version} (the sections above are its training report); the classifier is unchanged, only the gates are new`,
          data,
          rule: 'the Mahalanobis distance of the backbone embedding to the nearest class mean; beyond the stage\'s distance the graph answers the uniform distribution: the fast stage escalates it, the full model answers "unknown" (below the unknown threshold)',
          protocol: 'Gaussians fitted on the train split, distances chosen on the validation split, the test split never used',
          'generated non-animal images answered "unknown" (base / gated)': `${(r.generatedUnknown.base * 100).toFixed(0)}% / ${(r.generatedUnknown.gated * 100).toFixed(0)}%`,
          'test photos escalated to the full model (base / gated)': `${(r.test.baseEscalated * 100).toFixed(1)}% / ${(r.test.gatedEscalated * 100).toFixed(1)}%`,
          'real non-animal photos': 'measured by `npm run bench -- image-ood` (BENCHMARKS.md)',
        },
      },
      { kind: 'table' as const, title: 'Gates', columns: ['stage', 'embedding', 'dims', 'keeps of validation (target)', 'max distance', 'validation kept'], rows: [gate(r.gates.full, 'full model'), gate(r.gates.fast, 'fast stage (routing only)')] },
      {
        kind: 'table' as const,
        title: 'As served ("unknown" counts wrong)',
        columns: ['model', 'validation accuracy', 'test accuracy', 'test unknown', ...labels.map((l) => `recall ${l}`)],
        rows: [row(`v${bm.version} (no gate)`, r.validation.base, r.test.base), row('gated', r.validation.gated, r.test.gated)],
      },
    ],
  };
}
