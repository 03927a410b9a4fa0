import { defaultCourseDataPath } from '../features/course/course-dataset.js';
import { openCatalogue } from './catalogue-source.js';
import { resolvePopularityScorer } from './model-popularity.js';
import type { RecommendationResult } from './recommender.js';

export interface RecommendCommandOptions {
  query: string;
  subject?: string;
  level?: string;
  maxPrice?: number | string;
  maxHours?: number | string;
  free?: boolean | string;
  limit?: number | string;
  /** Course CSV the catalogue is built from. Default: udemy/udemy_courses.csv in the data root. */
  data?: string;
  /** Snapshot file to answer from (built from `data` when it does not exist); none: the catalogue is built in memory. */
  catalogue?: string;
  /** Model repository root for the course popularity model (default models/). */
  models?: string;
}

/**
 * `streamlens recommend --query "..." [--subject ...] [--level ...] [--max-price ...] [--max-hours ...] [--free true|false] [--limit n]`:
 * ranks courses for a learner and returns the result (the CLI prints it as one JSON document). The
 * catalogue is built in memory from the course CSV through the course pipeline's validation and
 * enrichment, so the answer never depends on state another command left behind; `catalogue` names
 * a snapshot file to answer from instead. The result's `catalogue` says which (source, path, size,
 * age). Popularity: the course model's prediction when models/course has a version, else the
 * subscriber prior (named in the output). A bad option throws RecommendationQueryError naming the field.
 */
export async function recommendCommand(options: RecommendCommandOptions): Promise<RecommendationResult> {
  const popularity = await resolvePopularityScorer({ modelsRoot: options.models });
  const data = options.data ?? (options.catalogue === undefined ? defaultCourseDataPath() : safeDefaultData());
  const { recommender } = await openCatalogue({ data, snapshot: options.catalogue, popularity });
  const input: Record<string, unknown> = { query: options.query };
  for (const key of ['subject', 'level', 'maxPrice', 'maxHours', 'free', 'limit'] as const) {
    if (options[key] !== undefined) input[key] = options[key];
  }
  return recommender.recommend(input);
}

/** With a snapshot the CSV is needed only to build a missing one: do not fail early when the data root is absent. */
function safeDefaultData(): string {
  try {
    return defaultCourseDataPath();
  } catch {
    return 'udemy/udemy_courses.csv (not found: give --data)';
  }
}
