import { barChart } from '../../analysis/charts.js';
import type { ReportSection, ReportValue } from '../../analysis/report.js';
import { BASELINE_MODEL_TITLES, type BaselineRun, type InputDecision } from './emotion-baselines.js';
import { matchingFold, type PublishedFolds } from './published-folds.js';

const setName = (r: BaselineRun) => r.blocks.map((b) => (b === 'mfcc' ? 'MFCC' : b === 'spectralContrast' ? 'contrast' : 'chroma')).join(' + ');
const runName = (r: BaselineRun) => `${r.model === 'linear-svm' ? 'linear SVM' : 'random forest'}, ${setName(r)}`;

/**
 * Report sections: the clip-level baselines fold by fold beside the published CNN's folds (same
 * test speakers), mean ± SD, and whether spectral contrast / chroma earn their place as inputs.
 */
export function emotionBaselineSections(runs: BaselineRun[], decisions: InputDecision[], cnn: PublishedFolds | undefined): ReportSection[] {
  const mfccRuns = runs.filter((r) => r.blocks.length === 1);
  const folds = runs[0].folds;
  const cnnFolds = cnn ? folds.map((f) => matchingFold(cnn, f.testSpeakers)) : [];
  const cnnUsable = cnn !== undefined && cnnFolds.every((f) => f !== undefined);
  const fmt = (m: { mean: number; std: number }) => `${m.mean.toFixed(3)} ± ${m.std.toFixed(3)}`;
  const sections: ReportSection[] = [
    {
      kind: 'text',
      title: 'Emotion: clip-level baselines on the CNN\'s speaker folds',
      text:
        `Each clip is summarised by the mean and standard deviation, over its speech frames, of 40 MFCCs (80 numbers; spectral contrast adds 14, chroma 24), computed by the streaming extractor's frame code (10 ms hop). ` +
        `Models: ${BASELINE_MODEL_TITLES['linear-svm']}; ${BASELINE_MODEL_TITLES['random-forest']}. ` +
        `Folds: group ${folds.length}-fold by speaker over the clips in dataset order, the folds \`train audio\` uses, so every row below is tested on the same 3 unseen actors. ` +
        (cnnUsable
          ? `The CNN column is the published ${cnn!.name}'s own cross-validation (its manifest), matched fold by fold on the test speakers.`
          : 'No published emotion model with these folds was found, so no CNN column is shown.'),
    },
    {
      kind: 'table',
      title: 'Accuracy and macro-F1 per fold (MFCC statistics)',
      columns: ['fold', 'test speakers', ...mfccRuns.flatMap((r) => [`${runName(r)} accuracy`, `${runName(r)} macro-F1`]), ...(cnnUsable ? [`${cnn!.name} accuracy`, `${cnn!.name} macro-F1`] : [])],
      rows: folds.map((f, i) => [
        f.fold + 1,
        f.testSpeakers.join(' '),
        ...mfccRuns.flatMap((r) => [r.folds[i].accuracy, r.folds[i].macroF1]),
        ...(cnnUsable ? [cnnFolds[i]!.accuracy, cnnFolds[i]!.macroF1] : []),
      ]),
    },
    {
      kind: 'table',
      title: 'Mean ± SD over the folds (SD with ddof 1)',
      columns: ['model', 'inputs', 'features', 'accuracy', 'macro-F1'],
      rows: [
        ...runs.map((r): ReportValue[] => [r.model === 'linear-svm' ? 'linear SVM' : 'random forest', setName(r), r.features, fmt(r.accuracy), fmt(r.macroF1)]),
        ...(cnnUsable && cnn!.accuracy && cnn!.macroF1 ? [[cnn!.name, 'log-mel windows (2 s)', '100 x 40', fmt(cnn!.accuracy), fmt(cnn!.macroF1)] as ReportValue[]] : []),
      ],
    },
    {
      kind: 'chart',
      title: 'Accuracy per fold',
      spec: barChart(
        [
          ...mfccRuns.flatMap((r) => r.folds.map((f) => ({ label: `fold ${f.fold + 1}`, value: f.accuracy, group: runName(r) }))),
          ...(cnnUsable ? cnnFolds.map((f, i) => ({ label: `fold ${i + 1}`, value: f!.accuracy, group: cnn!.name })) : []),
        ],
        { title: 'Emotion accuracy on unseen speakers, per fold', subtitle: 'chance = 0.125 (8 classes)', xTitle: 'Fold', yTitle: 'Accuracy', width: 700 },
      ),
    },
    {
      kind: 'table',
      title: 'Spectral contrast and chroma as inputs: on or off by the folds',
      caption: decisions[0]?.rule,
      columns: ['input added to MFCC statistics', 'model', 'Δ accuracy per fold', 'mean Δ', 'folds better', 'paired t', 'p', 'decision'],
      rows: decisions.flatMap((d) =>
        d.perModel.map((m): ReportValue[] => [
          d.block === 'spectralContrast' ? 'spectral contrast' : 'chroma',
          m.model === 'linear-svm' ? 'linear SVM' : 'random forest',
          m.deltas.map((x) => (x >= 0 ? '+' : '') + x.toFixed(3)).join(' '),
          m.meanDelta,
          `${m.foldsBetter}/${m.deltas.length}`,
          m.t,
          m.p,
          d.on ? 'on' : 'off',
        ]),
      ),
    },
    {
      kind: 'text',
      title: 'Decision',
      text: decisions
        .map((d) => `${d.block === 'spectralContrast' ? 'Spectral contrast' : 'Chroma'}: ${d.on ? 'ON' : 'OFF'} (${d.perModel.map((m) => `${m.model === 'linear-svm' ? 'SVM' : 'forest'} mean Δ ${m.meanDelta >= 0 ? '+' : ''}${m.meanDelta.toFixed(3)}, p = ${m.p.toFixed(3)}`).join('; ')}).`)
        .join('\n') +
        '\nThe CNN was not retrained with these inputs (one 6-fold CNN run takes hours on this machine); the decision above is for the clip-level models.',
    },
  ];
  return sections;
}
