import { confusionMatrixChart, trainingCurvesChart, writeReport, type ReportSection } from '../../analysis/index.js';
import type { FitHistory } from '../fit.js';
import type { ClassificationSummary } from './classification-summary.js';
import type { TrainedModelResult, TrainImageResult } from './train-result.js';

const TITLES: Record<TrainedModelResult['kind'], string> = {
  'zero-shot': 'Zero-shot Darknet-Tiny (ImageNet cat/dog/fox classes summed)',
  cnn: 'CNN from scratch (3 x Conv2D + MaxPool, 64x64)',
  transfer: 'Transfer: frozen Darknet-Tiny + softmax head (224x224)',
  'transfer-gated': 'Transfer + "none of these" gate on the ImageNet cat/dog/fox mass (served; "none" on an animal counts wrong)',
  'transfer-fast': 'Cascade fast stage alone: frozen Darknet-Tiny on the input average-pooled 2x + softmax head',
  'transfer-cascade': 'Cascade: the fast stage answers when sure, the full transfer model otherwise',
  'transfer-cascade-gated': 'Cascade + Mahalanobis "none of these" gates (served; "unknown" on an animal counts wrong)',
  'transfer-ood-gated': 'Transfer + Mahalanobis "none of these" gate (served; "unknown" on an animal counts wrong)',
};

/** The HTML report of an image training run (analysis toolkit: tables, confusion matrices, curves). */
export async function writeImageTrainingReport(
  dir: string,
  run: { summary: TrainImageResult; results: TrainedModelResult[]; dataDir: string; /** Appended after the training sections (the image analyses). */ extraSections?: ReportSection[] },
): Promise<void> {
  const { summary, results } = run;
  const labels = summary.labels;
  const sections: ReportSection[] = [
    {
      kind: 'keyValue',
      title: 'Data and protocol',
      entries: {
        data: run.dataDir,
        classes: labels.join(', '),
        'train / validation / test images': `${summary.split.train} / ${summary.split.validation} / ${summary.split.test}`,
        protocol: `stratified split by file with seed ${summary.split.seed}: test held out and never trained on or used for choices; validation for early stopping, model choice and the unknown threshold`,
        'shipped model': summary.shipped.kind,
        'served labels': summary.shipped.labels.join(', '),
        'unknown threshold': summary.shipped.unknownThreshold ?? 'none (replaced by the "none" gate)',
        'generated no-animal images answered "unknown" / "none"': `${(summary.shipped.oodRejected * 100).toFixed(0)}%`,
        'ONNX vs tfjs max |diff|': summary.shipped.onnxMaxAbsDiff,
        'ONNX size (bytes)': summary.shipped.onnxBytes,
      },
    },
    {
      kind: 'table',
      title: 'Held-out test results',
      columns: ['model', 'validation accuracy', 'test accuracy', 'test macro F1', ...labels.map((l) => `recall ${l}`), ...labels.map((l) => `ROC AUC ${l}`)],
      rows: results.map((r) => [
        TITLES[r.kind],
        r.validation.accuracy,
        r.test.accuracy,
        r.test.macroF1,
        ...labels.map((l) => r.test.perClass[l].recall),
        ...labels.map((l) => r.test.perClass[l].rocAuc),
      ]),
    },
  ];
  const gate = summary.shipped.noneGate;
  if (gate) {
    const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
    sections.push({
      kind: 'keyValue',
      title: '"None of these" gate',
      entries: {
        rule: 'output [p_cat * s, p_dog * s, p_fox * s, 1 - s], s = sigmoid(a * (mass - tau)), mass = Darknet ImageNet softmax summed over its 5 cat, 118 dog and 4 fox classes',
        calibration: gate.method,
        tau: gate.tau,
        'a (sharpness)': gate.sharpness,
        'validation animals answered (not "none")': pct(gate.answered),
        'validation animal mass: 1st / 5th / 50th percentile': `${gate.massPercentiles.p1.toFixed(4)} / ${gate.massPercentiles.p5.toFixed(4)} / ${gate.massPercentiles.p50.toFixed(4)}`,
        ...Object.fromEntries(Object.entries(gate.generatedRejected).map(([k, v]) => [`generated ${k}: answered "none"`, pct(v)])),
        'rendered SVG scenes (cartoons, no animal): answered "none"': `${pct(gate.scenesRejected)} (${Object.entries(gate.scenes).map(([k, v]) => `${k}: ${v}`).join(', ')})`,
        'real non-animal photos: answered "none"':
          gate.photosRejected === null ? 'not measured (no photos given)' : `${pct(gate.photosRejected)} of ${Object.keys(gate.photos).length} (${Object.entries(gate.photos).map(([k, v]) => `${k.split('/').pop()}: ${v}`).join(', ')})`,
      },
    });
  }
  for (const r of results) {
    sections.push(...perClassSections(TITLES[r.kind], r.kind, labels, r.test));
    if (r.history) sections.push(trainingCurvesSection(TITLES[r.kind], r.kind, r.history));
  }
  sections.push(...(run.extraSections ?? []));
  await writeReport(dir, { title: 'streamlens animal recogniser: training report', sections });
}

/** Loss and accuracy per epoch of one trained model (train vs validation). */
export function trainingCurvesSection(title: string, kind: string, h: FitHistory): ReportSection {
  const epoch = h.loss.map((_, i) => i + 1);
  const acc = h.metrics.acc ?? h.metrics.accuracy;
  const vacc = h.metrics.val_acc ?? h.metrics.val_accuracy;
  return {
    kind: 'chart',
    title: `${title}: loss and accuracy per epoch`,
    caption: `early stopping on validation loss; best epoch ${h.bestEpoch + 1} of ${h.epochs}${h.restoredBestWeights ? ' (its weights restored)' : ''}`,
    spec: trainingCurvesChart(
      {
        epoch,
        train: { loss: h.loss, ...(acc ? { accuracy: acc } : {}) },
        ...(h.val_loss ? { validation: { loss: h.val_loss, ...(vacc ? { accuracy: vacc } : {}) } } : {}),
      },
      { title: `Training curves, ${kind}` },
    ),
  };
}

/** Per-class table and normalised confusion matrix of one model on the test split. */
export function perClassSections(title: string, kind: string, labels: readonly string[], test: ClassificationSummary): ReportSection[] {
  return [
    {
      kind: 'table',
      title: `${title}: per class (test)`,
      columns: ['class', 'precision', 'recall', 'F1', 'support', 'ROC AUC'],
      rows: labels.map((l) => [l, test.perClass[l].precision, test.perClass[l].recall, test.perClass[l].f1, test.perClass[l].support, test.perClass[l].rocAuc]),
    },
    {
      kind: 'chart',
      title: `${title}: confusion matrix (test)`,
      spec: confusionMatrixChart({ labels: [...labels], counts: test.confusion }, { title: `Confusion matrix, ${kind}, test`, normalize: 'true', width: 260, height: 260 }),
    },
  ];
}
