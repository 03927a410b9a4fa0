import { mkdir, writeFile } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';
import { barChart, boxPlotChart, histogramChart, writeReport, type ReportSection, type ReportValue } from '../../analysis/index.js';
import type { AudioFeatureSettingsInput } from '../../features/audio/index.js';
import { decodeAudioFile } from '../../ingest/audio-file-source.js';
import { clipFigureSections } from './clip-figure.js';
import { buildClipStatisticsMatrix } from './clip-statistics-matrix.js';
import { scanSpeechDataset, type DatasetName, type SpeechClip } from './datasets.js';
import { emotionBaselineSections } from './emotion-baseline-report.js';
import { decideInput, evaluateBaselines, type BaselineRun, type InputDecision } from './emotion-baselines.js';
import { publishedFolds } from './published-folds.js';
import { buildGenderMfccMatrix, speakerMeans, type GenderMfccMatrix } from './gender-mfcc-matrix.js';
import { GENDER_TEST_TITLES, GENDER_TESTS, genderStatistics, type GenderStatistics, type LevelStatistics } from './gender-statistics.js';

export interface AnalyzeSpeechOptions {
  /** Folder of labelled clips (RAVDESS, SAVEE, TESS...; only clips whose gender the file names give are used). */
  data: string;
  /** Output folder: report.html, report.json, speech-statistics.json, mfcc-matrix.json. */
  out: string;
  dataset?: DatasetName;
  settings?: AudioFeatureSettingsInput;
  alpha?: number;
  /** Coefficients shown as box plots / histograms (default: the 4 with the largest speaker-level |d|). */
  plotCoefficients?: number;
  concurrency?: number;
  /** Matrix cache folder (default `.cache/speech-stats`); null disables the cache. */
  cacheRoot?: string | null;
  onProgress?: (done: number, total: number) => void;
  /** Emotion baselines (SVM, forest; with and without contrast / chroma) on the speaker folds (default true). */
  emotionBaselines?: boolean;
  /** Speaker folds of the baselines (default 6, as `train audio`). */
  folds?: number;
  /** The clip drawn as waveform, spectrograms and roll-off (default: the first clip of the data). */
  figureClip?: string;
  /** Model repository holding the published emotion CNN whose folds are shown beside the baselines (default models/). */
  modelsRoot?: string;
}

export interface AnalyzeSpeechResult {
  statistics: GenderStatistics;
  nClips: number;
  nSpeakers: number;
  /** Baseline runs and the contrast / chroma decisions; null when not run (with the reason). */
  emotionBaselines: { runs: BaselineRun[]; decisions: InputDecision[] } | { skipped: string };
  files: { html: string; json: string; statistics: string; matrix: string; baselines: string };
}

/**
 * `streamlens analyze speech`: per MFCC coefficient, female vs male (z, Welch t, ANOVA, F-test, effect
 * sizes, Holm and BH), with the clip as the unit and with the speaker as the unit, charts and an HTML
 * report. Writes the statistics as JSON too and returns them.
 */
export async function analyzeSpeech(o: AnalyzeSpeechOptions): Promise<AnalyzeSpeechResult> {
  const root = resolve(o.data);
  const { clips: all } = scanSpeechDataset(root, o.dataset);
  const clips = all.filter((c) => c.gender);
  if (clips.length === 0) throw new Error(`no clip under ${root} has a gender label (RAVDESS, SAVEE and TESS file names give one)`);
  const matrix = await buildGenderMfccMatrix(clips, { root, settings: o.settings, concurrency: o.concurrency, cacheRoot: o.cacheRoot, onProgress: o.onProgress });
  const statistics = genderStatistics(matrix, o.alpha ?? 0.05);
  const out = resolve(o.out);
  await mkdir(out, { recursive: true });
  const statisticsPath = join(out, 'speech-statistics.json');
  const matrixPath = join(out, 'mfcc-matrix.json');
  await writeFile(statisticsPath, `${JSON.stringify(statistics, null, 2)}\n`);
  await writeFile(matrixPath, `${JSON.stringify(matrix)}\n`);
  const nSpeakers = new Set(matrix.clips.map((c) => c.speaker)).size;
  const sections = reportSections(matrix, statistics, o.plotCoefficients ?? 4);
  const emotion = await emotionSections(root, all, o);
  const baselinesPath = join(out, 'emotion-baselines.json');
  await writeFile(baselinesPath, `${JSON.stringify(emotion.result, null, 2)}\n`);
  const figureClip = o.figureClip ? resolve(o.figureClip) : clips[0].path;
  const figure = clipFigureSections(await decodeAudioFile(figureClip), relative(root, figureClip) || figureClip);
  const { htmlPath, jsonPath } = await writeReport(out, {
    title: 'Speech analysis: speaker gender and MFCCs, emotion baselines, one clip\'s features',
    sections: [...sections, ...emotion.sections, ...figure],
  });
  return {
    statistics,
    nClips: clips.length,
    nSpeakers,
    emotionBaselines: emotion.result,
    files: { html: htmlPath, json: jsonPath, statistics: statisticsPath, matrix: matrixPath, baselines: baselinesPath },
  };
}

/** The emotion baselines' report sections, or one text section saying why they were not run. */
async function emotionSections(root: string, all: SpeechClip[], o: AnalyzeSpeechOptions): Promise<{ sections: ReportSection[]; result: AnalyzeSpeechResult['emotionBaselines'] }> {
  const folds = o.folds ?? 6;
  const clips = all.filter((c) => c.emotion);
  const speakers = new Set(clips.map((c) => c.speaker)).size;
  const skipped =
    o.emotionBaselines === false
      ? 'not asked for (emotionBaselines: false)'
      : speakers < folds
        ? `${speakers} speakers with emotion labels, fewer than the ${folds} speaker folds`
        : null;
  if (skipped) return { sections: [{ kind: 'text', title: 'Emotion: clip-level baselines', text: `Not run: ${skipped}.` }], result: { skipped } };
  const m = await buildClipStatisticsMatrix(clips, { root, concurrency: o.concurrency, cacheRoot: o.cacheRoot, onProgress: o.onProgress });
  const runs = evaluateBaselines(m, { folds });
  const decisions = (['spectralContrast', 'chroma'] as const).map((b) => decideInput(runs, b));
  return { sections: emotionBaselineSections(runs, decisions, publishedFolds('emotion', o.modelsRoot)), result: { runs, decisions } };
}

/**
 * The one-line summary `analyze speech` prints (the statistics themselves are in the report files):
 * clips, speakers, the files, and per test how many coefficients survive Holm at each level.
 */
export function speechSummary(r: AnalyzeSpeechResult): Record<string, unknown> {
  const survivors = (level: LevelStatistics) =>
    Object.fromEntries(GENDER_TESTS.map((t) => [t, { holm: level.survivors[t].holm.length, bh: level.survivors[t].bh.length }]));
  return {
    report: r.files.html,
    files: r.files,
    clips: r.nClips,
    speakers: r.nSpeakers,
    alpha: r.statistics.alpha,
    coefficients: r.statistics.clipLevel.coefficients.length,
    survivors: { clipLevel: survivors(r.statistics.clipLevel), speakerLevel: survivors(r.statistics.speakerLevel) },
    emotionBaselines:
      'skipped' in r.emotionBaselines
        ? { skipped: r.emotionBaselines.skipped }
        : {
            accuracy: Object.fromEntries(r.emotionBaselines.runs.map((run) => [`${run.model}:${run.blocks.join('+')}`, Math.round(run.accuracy.mean * 1000) / 1000])),
            inputs: Object.fromEntries(r.emotionBaselines.decisions.map((d) => [d.block, d.on ? 'on' : 'off'])),
          },
  };
}

function survivorText(level: LevelStatistics, total: number): string {
  return GENDER_TESTS.map((t) => {
    const s = level.survivors[t];
    return `${GENDER_TEST_TITLES[t]}: ${s.holm.length}/${total} coefficients survive Holm, ${s.bh.length}/${total} survive Benjamini-Hochberg` +
      (s.holm.length > 0 ? ` (Holm: ${s.holm.join(', ')})` : '');
  }).join('\n');
}

function levelTable(level: LevelStatistics): ReportSection {
  const rows: ReportValue[][] = level.coefficients.map((c) => [
    c.coefficient,
    c.meanFemale,
    c.meanMale,
    c.cohensD,
    c.tests.zTest.statistic,
    c.tests.zTest.holm,
    c.tests.welchT.statistic,
    c.tests.welchT.df as number,
    c.tests.welchT.pValue,
    c.tests.welchT.holm,
    c.tests.welchT.bh,
    c.tests.anova.statistic,
    c.tests.anova.effectSize.value,
    c.tests.anova.holm,
    c.tests.fTest.statistic,
    c.tests.fTest.pValue,
    c.tests.fTest.holm,
    c.tests.welchT.significantHolm ? 'yes' : 'no',
  ]);
  return {
    kind: 'table',
    title: `Per coefficient, ${level.unit} as the unit (${level.nFemale} female, ${level.nMale} male)`,
    caption: 'd = Cohen\'s d (female − male) / pooled SD; p(Holm) / p(BH) are adjusted over all coefficients; F = var female / var male.',
    columns: ['coefficient', 'mean F', 'mean M', 'd', 'z', 'z p(Holm)', 'Welch t', 'Welch df', 'Welch p', 'Welch p(Holm)', 'Welch p(BH)', 'ANOVA F', 'eta²', 'ANOVA p(Holm)', 'var ratio F', 'F-test p', 'F-test p(Holm)', 'survives Holm (Welch)'],
    rows,
  };
}

function reportSections(matrix: GenderMfccMatrix, s: GenderStatistics, nPlots: number): ReportSection[] {
  const total = matrix.coefficients.length;
  const speakers = speakerMeans(matrix);
  const top = [...s.speakerLevel.coefficients.keys()]
    .sort((a, b) => Math.abs(s.speakerLevel.coefficients[b].cohensD) - Math.abs(s.speakerLevel.coefficients[a].cohensD))
    .slice(0, nPlots);
  const split = (m: GenderMfccMatrix, k: number) => ({
    female: m.values.filter((_, i) => m.clips[i].gender === 'female').map((r) => r[k]),
    male: m.values.filter((_, i) => m.clips[i].gender === 'male').map((r) => r[k]),
  });
  const sections: ReportSection[] = [
    {
      kind: 'text',
      title: 'What was measured',
      text:
        `Observation: the mean of each of ${total} MFCC coefficients over the speech frames (voice-activity detector of the feature extractor) of one clip. ` +
        `${matrix.clips.length} clips from ${speakers.clips.length} speakers (${s.speakerLevel.nFemale} female, ${s.speakerLevel.nMale} male). ` +
        'Clips of one speaker are not independent (same voice, same recording setup), so the clip-level tests treat hundreds of correlated clips as independent samples and their p-values are far too small. ' +
        `The valid unit is the speaker: each speaker's clip means are averaged and the tests compare ${s.speakerLevel.nFemale} female with ${s.speakerLevel.nMale} male speakers. ` +
        'Use the speaker-level results for conclusions; the clip-level ones are shown for comparison only. ' +
        `Multiple comparisons: p-values are adjusted over the ${total} coefficients (per test) with Holm (family-wise error) and Benjamini-Hochberg (false discovery rate), alpha = ${s.alpha}.`,
    },
    { kind: 'text', title: 'Differences that survive correction (speaker level, valid)', text: survivorText(s.speakerLevel, total) },
    { kind: 'text', title: 'Clip level (pseudo-replicated, for comparison only)', text: survivorText(s.clipLevel, total) },
    ...([s.speakerLevel, s.clipLevel] as const).map(
      (level): ReportSection => ({
        kind: 'chart',
        title: `Effect sizes, ${level.unit} level`,
        caption: `Colour: whether the Welch t-test difference survives Holm correction at ${level.unit} level.`,
        spec: barChart(
          level.coefficients.map((c) => ({ label: c.coefficient, value: c.cohensD, group: c.tests.welchT.significantHolm ? 'survives Holm' : 'not significant' })),
          { title: `Cohen's d (female − male) per MFCC coefficient, ${level.unit} as the unit`, xTitle: 'MFCC coefficient', yTitle: "Cohen's d", width: 900, height: 260 },
        ),
      }),
    ),
  ];
  for (const k of top) {
    const name = matrix.coefficients[k];
    sections.push({
      kind: 'chart',
      title: `${name}: distribution by gender`,
      spec: boxPlotChart(split(speakers, k), { title: `${name}, speaker means`, subtitle: `d = ${s.speakerLevel.coefficients[k].cohensD.toFixed(2)}`, xTitle: 'Gender', yTitle: `${name} (dB)`, width: 260 }),
    });
    sections.push({
      kind: 'chart',
      spec: histogramChart(split(matrix, k), { title: `${name}, clip means`, xTitle: `${name} (dB)`, yTitle: 'Clips', width: 420, maxBins: 30 }),
    });
  }
  sections.push(levelTable(s.speakerLevel), levelTable(s.clipLevel));
  return sections;
}
