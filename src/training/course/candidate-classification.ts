import { classificationReport } from '../../analysis/classification.js';
import { confusionMatrix } from '../../analysis/confusion.js';
import type { EnrichedCourse } from '../../features/course/enrich.js';
import { type Algorithm, type CandidateParams, fitCandidate } from './candidates.js';
import { type Predictions, predictRecords } from './evaluate.js';
import type { CourseTask } from './tasks.js';

/**
 * Precision, recall and F1 per class and macro-averaged, and the confusion matrix, of one fitted
 * course classifier on the held-out records (sklearn classification_report / confusion_matrix
 * semantics, analysis toolkit). The predicted class is the highest-scoring one; for popularity that
 * is "popular" when P(popular) > 0.5, the label itself being num_subscribers >= the training
 * part's 75th percentile (`threshold`).
 */
export interface CandidateClassification {
  labels: string[];
  decision: string;
  /** Popularity: the subscriber count that defines "popular". */
  threshold?: number;
  n: number;
  accuracy: number;
  /** counts[i][j]: true labels[i] predicted as labels[j]. */
  confusion: number[][];
  perClass: { label: string; precision: number; recall: number; f1: number; support: number }[];
  macro: { precision: number; recall: number; f1: number };
}

export function candidateClassification(labels: readonly string[], p: Predictions, threshold?: number): CandidateClassification {
  const truth = p.truth.map((i) => labels[i]);
  const predicted = p.predicted.map((i) => labels[i]);
  const rep = classificationReport(truth, predicted, labels);
  const cm = confusionMatrix(truth, predicted, labels);
  return {
    labels: [...labels],
    decision: threshold === undefined ? 'highest-scoring class' : `popular when P(popular) > 0.5; popular = num_subscribers >= ${threshold}`,
    ...(threshold === undefined ? {} : { threshold }),
    n: rep.n,
    accuracy: rep.accuracy,
    confusion: cm.counts,
    perClass: rep.perClass.map((c) => ({ label: String(c.label), precision: c.precision, recall: c.recall, f1: c.f1, support: c.support })),
    macro: { precision: rep.macro.precision, recall: rep.macro.recall, f1: rep.macro.f1 },
  };
}

/**
 * The same figures for a model compared in an earlier training run whose comparison did not record
 * them: the family is refitted with its recorded parameters and seed on the same training part and
 * scored on the same test part (training is deterministic given the seed, so the refit reproduces
 * the recorded held-out accuracy; `reproduced` says whether it did).
 */
export function refitCandidateClassification(
  task: CourseTask,
  candidate: { algorithm: Algorithm; params: CandidateParams; test: object },
  train: readonly EnrichedCourse[],
  test: readonly EnrichedCourse[],
  seed: number,
): CandidateClassification & { reproduced: boolean } {
  if (task.kind !== 'classification') throw new Error(`task ${task.name} is not a classification`);
  const c = fitCandidate(task, candidate.algorithm, candidate.params, train, seed);
  const r = candidateClassification(c.target.labels, predictRecords(task, c, test), c.target.threshold);
  const recorded = (candidate.test as { accuracy?: number }).accuracy;
  return { ...r, reproduced: recorded !== undefined && Math.abs(recorded - r.accuracy) < 1e-12 };
}
