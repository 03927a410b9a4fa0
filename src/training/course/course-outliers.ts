import { type IqrOutliers, type ZScoreOutliers, iqrOutliers, zScoreOutliers } from '../../analysis/outliers.js';
import type { EnrichedCourse } from '../../features/course/enrich.js';
import { STAT_FEATURES } from './course-statistics.js';

/**
 * Outliers of each numeric course feature (the features of the statistics table) by Tukey's IQR
 * rule (1.5 IQR beyond Q1 / Q3, pandas quartiles) and the z-score rule (|z| > 3, scipy zscore,
 * ddof 0), counted per feature, with the most extreme flagged courses listed by title.
 */
export interface FlaggedCourse {
  courseId: string;
  title: string;
  value: number;
  z: number;
  iqr: boolean;
  zScore: boolean;
}

export interface FeatureOutliers {
  feature: string;
  n: number;
  iqr: Omit<IqrOutliers, 'indices'> & { count: number; courseIds: string[] };
  z: Omit<ZScoreOutliers, 'indices' | 'z'> & { count: number; courseIds: string[] };
  /** Flagged by both rules. */
  both: number;
  /** The `top` flagged courses with the largest |z|, most extreme first. */
  top: FlaggedCourse[];
}

export function courseOutliers(records: readonly EnrichedCourse[], top = 5): FeatureOutliers[] {
  return Object.entries(STAT_FEATURES).map(([feature, get]) => {
    const rows = records.map((r) => ({ r, v: get(r) })).filter((x): x is { r: EnrichedCourse; v: number } => x.v !== undefined);
    const values = rows.map((x) => x.v);
    const { indices: iqrIdx, ...iqr } = iqrOutliers(values, 1.5);
    const { indices: zIdx, z, ...zr } = zScoreOutliers(values, { threshold: 3, ddof: 0 });
    const inIqr = new Set(iqrIdx);
    const inZ = new Set(zIdx);
    const flagged = [...new Set([...iqrIdx, ...zIdx])].sort((a, b) => Math.abs(z[b]) - Math.abs(z[a]) || a - b);
    return {
      feature,
      n: values.length,
      iqr: { ...iqr, count: iqrIdx.length, courseIds: iqrIdx.map((i) => rows[i].r.courseId) },
      z: { ...zr, count: zIdx.length, courseIds: zIdx.map((i) => rows[i].r.courseId) },
      both: iqrIdx.filter((i) => inZ.has(i)).length,
      top: flagged.slice(0, top).map((i) => ({ courseId: rows[i].r.courseId, title: rows[i].r.title, value: values[i], z: z[i], iqr: inIqr.has(i), zScore: inZ.has(i) })),
    };
  });
}
