import {
  classificationReport,
  classificationReportSection,
  confusionMatrixChart,
  rocChart,
  rocCurve,
  trainingCurvesChart,
  writeReport,
  type ReportSection,
} from '../../analysis/index.js';
import type { GenderCrossValidation } from './gender.js';

export interface GenderReportInput {
  data: string;
  clips: number;
  speakers: number;
  settingsSource: string;
  featureKey: string;
  model: string;
  crossValidation: GenderCrossValidation;
  /** Max |ONNX − tfjs| over the checked windows of the shipped model. */
  onnxMaxAbsDiff?: number;
}

/** The gender model's HTML + JSON report: per-fold confusion matrices, accuracies, ROC curves. */
export async function writeGenderReport(dir: string, r: GenderReportInput): Promise<{ htmlPath: string; jsonPath: string }> {
  const cv = r.crossValidation;
  const k = cv.folds.length;
  const sections: ReportSection[] = [
    {
      kind: 'keyValue',
      title: 'Summary',
      entries: {
        data: r.data,
        clips: r.clips,
        speakers: r.speakers,
        validation: `speaker-grouped ${k}-fold cross-validation (no speaker in both train and test of a fold)`,
        scoring: 'clip level: mean of the window probabilities over the clip\'s speech windows (all windows when none is speech)',
        [`accuracy (mean ± std over ${k} folds)`]: `${cv.accuracy.mean.toFixed(4)} ± ${cv.accuracy.std.toFixed(4)}`,
        'out-of-fold accuracy (all clips)': cv.pooled.accuracy,
        'out-of-fold macro F1': cv.pooled.macroF1,
        'out-of-fold ROC AUC (male positive)': cv.pooled.rocAuc,
        model: r.model,
        'feature settings': r.settingsSource,
        featureKey: r.featureKey,
        ...(r.onnxMaxAbsDiff !== undefined ? { 'ONNX vs tfjs max |diff|': r.onnxMaxAbsDiff } : {}),
      },
    },
    {
      kind: 'table',
      title: 'Folds',
      columns: ['fold', 'test speakers', 'train clips', 'test clips', 'accuracy', 'macro F1', 'ROC AUC'],
      rows: cv.folds.map((f) => [f.fold, f.testSpeakers.join(', '), f.trainClips, f.testClips, f.evaluation.accuracy, f.evaluation.macroF1, f.evaluation.rocAuc]),
    },
    classificationReportSection(classificationReport(cv.pooled.truth, cv.pooled.predicted), 'Out-of-fold classification report (clips)'),
    {
      kind: 'chart',
      title: 'ROC curves',
      spec: rocChart(
        [
          { name: 'all folds', ...rocCurve(cv.pooled.truth, cv.pooled.maleScore, { positiveLabel: 'male' }), auc: cv.pooled.rocAuc ?? undefined },
          ...cv.folds
            .filter((f) => f.evaluation.rocAuc !== null)
            .map((f) => ({ name: `fold ${f.fold}`, ...rocCurve(f.evaluation.truth, f.evaluation.maleScore, { positiveLabel: 'male' }), auc: f.evaluation.rocAuc! })),
        ],
        { title: 'ROC of P(male), clip level', subtitle: 'out-of-fold predictions' },
      ),
    },
    { kind: 'chart', title: 'Confusion matrix, all folds', spec: confusionMatrixChart(cv.pooled.confusion, { title: 'All folds (clips)', normalize: 'true' }) },
    ...cv.folds.map(
      (f): ReportSection => ({
        kind: 'chart',
        title: `Fold ${f.fold}`,
        spec: confusionMatrixChart(f.evaluation.confusion, { title: `Fold ${f.fold}: accuracy ${f.evaluation.accuracy.toFixed(4)}`, subtitle: `test speakers ${f.testSpeakers.join(', ')}`, normalize: 'true', width: 240, height: 200 }),
      }),
    ),
    {
      kind: 'chart',
      title: 'Training curves',
      spec: trainingCurvesChart(
        {
          epoch: cv.folds[0].history.map((h) => h.epoch),
          train: {
            loss: cv.folds[0].history.map((_, e) => cv.folds.reduce((a, f) => a + f.history[e].loss, 0) / k),
            accuracy: cv.folds[0].history.map((_, e) => cv.folds.reduce((a, f) => a + f.history[e].acc, 0) / k),
          },
        },
        { title: 'Training loss and accuracy (window level, mean over folds)' },
      ),
    },
  ];
  return writeReport(dir, { title: 'Speaker gender model', sections });
}
