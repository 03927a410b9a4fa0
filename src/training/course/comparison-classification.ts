import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { EnrichedCourse } from '../../features/course/enrich.js';
import type { CoursePredictor } from '../../inference/course/course-predictor.js';
import type { CourseBundleJson } from '../../inference/course/bundle.js';
import { type CandidateClassification, refitCandidateClassification } from './candidate-classification.js';
import type { FeatureSpaceSettings } from '../../features/course/feature-space.js';
import type { CourseTask } from './tasks.js';
import { type CandidateResult, courseTasks } from './train.js';

/**
 * Precision / recall / confusion of every classifier of a model version's comparison: the figures
 * the training run recorded (comparison.json `classification`), or, for a comparison written before
 * training recorded them, a refit of each family with its recorded parameters and seed, on the same
 * split, with the feature settings the version recorded for that task (so that a later change of the
 * default features does not change the model being described). `reproduced` says whether the refit
 * gives the recorded held-out accuracy; when it does not, the figures are not those of the model
 * compared and the report says so.
 */
export interface ComparedClassifier {
  result: CandidateResult;
  classification: CandidateClassification;
  source: 'training run' | 'refit';
  reproduced: boolean;
}

function recordedTask(task: CourseTask, bundle: CourseBundleJson | null): CourseTask {
  const shipped = bundle ? (task.name === 'subject' ? bundle.subject : task.name === 'popularity' ? bundle.popularity : null) : null;
  if (!shipped) return task;
  const recorded = shipped.featureSpace.settings;
  const settings = (train: readonly EnrichedCourse[]): FeatureSpaceSettings => {
    const current = task.settings(train);
    // the variant with num_reviews adds exactly log_reviews to the numeric columns (tasks.ts)
    const numeric = task.includeReviews === shipped.includeReviews ? recorded.numeric : task.includeReviews ? [...recorded.numeric, 'log_reviews'] : recorded.numeric.filter((c) => c !== 'log_reviews');
    return { ...current, numeric, tfidf: recorded.tfidf, charTfidf: recorded.charTfidf ?? null };
  };
  return { ...task, settings };
}

export function comparedClassifiers(
  results: readonly CandidateResult[],
  predictor: CoursePredictor,
  split: { train: readonly EnrichedCourse[]; test: readonly EnrichedCourse[]; seed: number } | null,
  log: (message: string) => void = (m) => process.stderr.write(m + '\n'),
): { classifiers: ComparedClassifier[]; missing: CandidateResult[] } {
  const classifiers: ComparedClassifier[] = [];
  const missing: CandidateResult[] = [];
  let bundle: CourseBundleJson | null | undefined;
  for (const r of results) {
    const task = courseTasks().find((t) => t.name === r.task && t.includeReviews === r.includeReviews);
    if (!task || task.kind !== 'classification') continue;
    if (r.classification) {
      classifiers.push({ result: r, classification: r.classification, source: 'training run', reproduced: true });
      continue;
    }
    if (!split) {
      missing.push(r);
      continue;
    }
    if (bundle === undefined) bundle = predictor.manifest.files.json ? (JSON.parse(readFileSync(join(predictor.dir, predictor.manifest.files.json), 'utf8')) as CourseBundleJson) : null;
    const started = performance.now();
    const c = refitCandidateClassification(recordedTask(task, bundle), r, split.train, split.test, split.seed);
    log(`course report: refitted ${r.task}${r.includeReviews ? '+reviews' : ''} ${r.algorithm} for its confusion matrix (${((performance.now() - started) / 1000).toFixed(1)} s, recorded accuracy ${c.reproduced ? 'reproduced' : 'NOT reproduced'})`);
    const { reproduced, ...classification } = c;
    classifiers.push({ result: r, classification, source: 'refit', reproduced });
  }
  return { classifiers, missing };
}
