import { confusionMatrixChart } from '../../analysis/charts.js';
import type { ReportSection } from '../../analysis/report.js';
import type { CandidateResult } from './train.js';
import type { ComparedClassifier } from './comparison-classification.js';

/** Report sections: precision / recall per class and macro, and a confusion matrix, for every course classifier compared. */
const taskName = (r: CandidateResult) => r.task + (r.includeReviews ? ' + num_reviews' : '');

export function classifierSections(classifiers: readonly ComparedClassifier[], missing: readonly CandidateResult[]): ReportSection[] {
  if (classifiers.length === 0 && missing.length === 0) return [];
  const refits = classifiers.filter((c) => c.source === 'refit');
  const notReproduced = refits.filter((c) => !c.reproduced);
  const sources =
    refits.length === 0
      ? 'Figures recorded by the training run (comparison.json).'
      : `This model version's comparison predates these figures: each family was refitted with its recorded parameters, seed, split and feature settings; ` +
        (notReproduced.length === 0 ? `all ${refits.length} refits reproduce the recorded held-out accuracy.` : `${notReproduced.length} of ${refits.length} refits do NOT reproduce the recorded held-out accuracy (marked): their figures are not those of the model compared.`);
  const sections: ReportSection[] = [
    {
      kind: 'table',
      title: 'Precision and recall of every classifier compared (held-out 20 %)',
      caption:
        `${sources} Popularity: "popular" = num_subscribers at or above the training part's 75th percentile; a model predicts popular when P(popular) > 0.5. ` +
        (missing.length ? `Not available for ${missing.map((m) => `${taskName(m)} / ${m.algorithm}`).join(', ')} (the data given is not the model's training CSV, so its split cannot be remade).` : ''),
      columns: ['task', 'model', 'class', 'precision', 'recall', 'F1', 'support', 'accuracy'],
      rows: classifiers.flatMap(({ result: r, classification: c, reproduced }) => [
        ...c.perClass.map((p) => [taskName(r), r.algorithm + (reproduced ? '' : ' (refit differs)'), p.label, p.precision, p.recall, p.f1, p.support, null]),
        [taskName(r), r.algorithm + (reproduced ? '' : ' (refit differs)'), 'macro avg', c.macro.precision, c.macro.recall, c.macro.f1, c.n, c.accuracy],
      ]),
    },
  ];
  for (const { result: r, classification: c } of classifiers) {
    sections.push({
      kind: 'chart',
      title: `Confusion matrix: ${taskName(r)} / ${r.algorithm}`,
      spec: confusionMatrixChart(
        { labels: c.labels, counts: c.confusion },
        { title: `${taskName(r)} / ${r.algorithm}`, subtitle: `held-out n = ${c.n}, accuracy ${c.accuracy.toFixed(3)}, macro recall ${c.macro.recall.toFixed(3)}${c.threshold !== undefined ? `, popular >= ${c.threshold} subscribers` : ''}`, normalize: 'true' },
      ),
    });
  }
  return sections;
}
