import { readFileSync } from 'node:fs';
import { parse as parseCsvSync } from 'csv-parse/sync';
import { requireDataPath } from '../../core/paths.js';
import { type EnrichedCourse, enrichCourse } from './enrich.js';
import { validateCourse } from './schema.js';

/**
 * The course data set for training, evaluation and analysis: the CSV read whole (it is small),
 * every row validated (rejects kept with field and reason), duplicates by course_id dropped
 * (first kept), the rest enriched against the reference date.
 */
export interface CourseDataset {
  path: string;
  records: EnrichedCourse[];
  /** 0-based data-row index (CSV line minus header) of each record, for sharing splits with Python. */
  rowIndex: number[];
  rejected: { row: number; field: string; message: string }[];
  duplicates: { row: number; courseId: string }[];
  referenceDate: string;
}

export function defaultCourseDataPath(): string {
  return requireDataPath('udemy/udemy_courses.csv', 'Udemy courses CSV');
}

/** Reference date default: midnight UTC after the latest publication in the data (deterministic). */
export function latestPublicationDay(rows: readonly { publishedAt: string }[]): string {
  const max = Math.max(...rows.map((r) => Date.parse(r.publishedAt)));
  const d = new Date(max);
  return new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate() + 1)).toISOString();
}

export function loadCourseDataset(path = defaultCourseDataPath(), options: { referenceDate?: string; now?: number } = {}): CourseDataset {
  const text = readFileSync(path, 'utf8');
  if (text.trim() === '') throw new Error(`course data ${path} is empty`);
  const rows = parseCsvSync(text, { columns: (h: string[]) => h.map((c) => c.trim().toLowerCase()), skip_empty_lines: true }) as Record<string, string>[];
  const clean: { row: number; course: import('./schema.js').CleanCourse }[] = [];
  const rejected: CourseDataset['rejected'] = [];
  const duplicates: CourseDataset['duplicates'] = [];
  const seen = new Set<string>();
  rows.forEach((raw, row) => {
    const r = validateCourse(raw, { now: options.now });
    if (!r.ok) {
      rejected.push({ row, field: r.field, message: r.message });
      return;
    }
    if (seen.has(r.course.courseId)) {
      duplicates.push({ row, courseId: r.course.courseId });
      return;
    }
    seen.add(r.course.courseId);
    clean.push({ row, course: r.course });
  });
  if (clean.length === 0) throw new Error(`course data ${path}: no valid records (${rejected.length} rejected)`);
  const referenceDate = options.referenceDate ?? latestPublicationDay(clean.map((c) => c.course));
  return {
    path,
    records: clean.map((c) => enrichCourse(c.course, referenceDate)),
    rowIndex: clean.map((c) => c.row),
    rejected,
    duplicates,
    referenceDate,
  };
}
