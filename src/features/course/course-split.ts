import { writeFileSync } from 'node:fs';
import { quantile } from '../../analysis/descriptive.js';
import { trainTestSplit } from '../../analysis/validation.js';
import type { CourseDataset } from './course-dataset.js';

/**
 * The held-out split of the course data: 20 % test, stratified by subject, fixed seed (analysis
 * toolkit trainTestSplit). Exported as CSV data-row indices so the scikit-learn reference
 * (bench/sklearn_courses.py) evaluates on exactly the same rows.
 */
export interface CourseSplit {
  seed: number;
  testSize: number;
  /** Indices into dataset.records. */
  train: number[];
  test: number[];
}

export const DEFAULT_SPLIT_SEED = 42;

export function courseSplit(ds: CourseDataset, seed = DEFAULT_SPLIT_SEED, testSize = 0.2): CourseSplit {
  const subjects = ds.records.map((r) => {
    if (r.subject === undefined) throw new Error(`course ${r.courseId} has no subject; the split is stratified by subject`);
    return r.subject;
  });
  const s = trainTestSplit(ds.records.length, { testSize, seed, stratify: subjects });
  return { seed, testSize, train: s.train, test: s.test };
}

/** Writes the split as CSV data-row indices (0-based, header excluded) plus the facts Python checks. */
export function writeCourseSplit(path: string, ds: CourseDataset, split: CourseSplit): void {
  const train = split.train.map((i) => ds.records[i]);
  const body = {
    description: 'Held-out split of udemy_courses.csv written by the TypeScript trainer; rows are 0-based data-row indices (header excluded).',
    seed: split.seed,
    testSize: split.testSize,
    referenceDate: ds.referenceDate,
    droppedRows: [...ds.rejected.map((r) => r.row), ...ds.duplicates.map((d) => d.row)].sort((a, b) => a - b),
    popularityThreshold: quantile(train.map((r) => r.numSubscribers ?? 0), 0.75),
    trainRows: split.train.map((i) => ds.rowIndex[i]),
    testRows: split.test.map((i) => ds.rowIndex[i]),
  };
  writeFileSync(path, JSON.stringify(body) + '\n');
}
