import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { appendSectionsToReportHtml } from '../../analysis/report-append.js';
import { writeReport } from '../../analysis/report.js';
import { dataRoot, repoRoot } from '../../core/paths.js';
import { sha256File } from '../../models/model-repository.js';
import { initTrainingBackend } from '../../inference/tfjs-backend.js';
import { loadImageModel, type ImageModelRef } from './commands.js';
import { listImageDataset, splitDataset } from '../../ingest/image-dataset.js';
import { runImageAnalyses } from './image-analyses.js';
import { imageAnalysesSections, imageAnalysesSummary } from './image-analyses-report.js';
import { servedProbabilities } from './served-scoring.js';

export interface AnalyzeImagesOptions extends ImageModelRef {
  /** Folder with one sub-folder per class (default: the folder the model was trained on, else <data>/animals). */
  data?: string;
  /** Output folder for report.html and report.json. */
  out: string;
  /** Also append the sections to the model version's report.html (its model files are not touched). */
  updateModelReport?: boolean;
  /** Random trials of the head search (default 12). */
  searchBudget?: number;
  /** Max epochs of the from-scratch CNN trained here (default 12). */
  cnnEpochs?: number;
  log?: (line: string) => void;
}

export const ANALYZE_IMAGES_COMMAND = 'streamlens analyze images --out DIR [--update-model-report]';

/**
 * `streamlens analyze images`: the seed report's image analyses for a shipped model version, on
 * the split its manifest records (re-made from the recorded seed and fractions and checked against
 * the recorded sizes). Writes report.html + report.json into `out`; returns the summary.
 */
export async function analyzeImages(options: AnalyzeImagesOptions): Promise<Record<string, unknown>> {
  const log = options.log ?? ((l: string) => process.stderr.write(l + '\n'));
  await initTrainingBackend('auto', { log });
  const loaded = await loadImageModel(options);
  const { manifest, dir } = loaded.version;
  try {
    const training = manifest.training as { data?: string; seed?: number; split?: { seed: number; testFraction: number; validationFraction: number; train: number; validation: number; test: number } };
    const split = training.split;
    if (!split) throw new Error(`model ${manifest.name} v${manifest.version} does not record its split (training.split): cannot re-make its held-out photos`);
    const data = resolve(options.data ?? (training.data ? resolve(repoRoot, training.data) : join(dataRoot(), 'animals')));
    const ds = listImageDataset(data);
    const served = manifest.labels;
    if (ds.labels.join(',') !== served.join(',')) throw new Error(`data set classes ${ds.labels.join(', ')} are not the labels of model ${manifest.name} (${served.join(', ')})`);
    const s = splitDataset(ds.items, { seed: split.seed, testFraction: split.testFraction, validationFraction: split.validationFraction });
    if (s.train.length !== split.train || s.validation.length !== split.validation || s.test.length !== split.test) {
      throw new Error(`the split re-made on ${data} (${s.train.length}/${s.validation.length}/${s.test.length}) is not the recorded one (${split.train}/${split.validation}/${split.test}): give the folder the model was trained on with --data`);
    }
    log(`[analyze:image] model ${manifest.name} v${manifest.version} (${dir}); split ${s.train.length}/${s.validation.length}/${s.test.length} from ${data}`);
    const scores = { validation: await servedProbabilities(loaded, s.validation.map((i) => i.file)), test: await servedProbabilities(loaded, s.test.map((i) => i.file)) };
    const analyses = await runImageAnalyses({
      split: s,
      labels: ds.labels,
      seed: training.seed ?? split.seed,
      served: { name: `shipped ${manifest.name} v${manifest.version} (served ONNX${manifest.cascade ? ', cascade' : ''})`, ...scores },
      searchBudget: options.searchBudget,
      cnnEpochs: options.cnnEpochs,
      log,
    });
    const command = `streamlens analyze images --out DIR${options.updateModelReport ? ' --update-model-report' : ''}`;
    const sections = imageAnalysesSections(analyses, command);
    const { htmlPath } = await writeReport(options.out, { title: `streamlens animal recogniser: analyses of ${manifest.name} v${manifest.version}`, sections });
    let modelReport: string | null = null;
    if (options.updateModelReport) {
      const file = manifest.files.report;
      if (!file) throw new Error(`model ${manifest.name} v${manifest.version} has no report file to update`);
      const path = join(dir, file);
      writeFileSync(path, await appendSectionsToReportHtml(readFileSync(path, 'utf8'), 'Analyses (streamlens analyze images)', sections));
      // Only the report's hash changes in the manifest; the model files are not touched.
      const mPath = join(dir, 'manifest.json');
      const raw = JSON.parse(readFileSync(mPath, 'utf8')) as { sha256: Record<string, string> };
      if (raw.sha256[file] !== undefined) {
        raw.sha256[file] = sha256File(path);
        writeFileSync(mPath, JSON.stringify(raw, null, 2) + '\n');
      }
      modelReport = path;
      log(`[analyze:image] appended ${sections.length} sections to ${path}`);
    }
    return { model: { name: manifest.name, version: manifest.version }, data, report: htmlPath, modelReport, ...imageAnalysesSummary(analyses) };
  } finally {
    await loaded.classifier.close();
  }
}
