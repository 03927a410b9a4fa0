import { existsSync } from 'node:fs';
import { loadCourseDataset, defaultCourseDataPath } from '../training/course/dataset.js';
import { CatalogueStore, defaultCatalogueFile } from './catalogue-store.js';
import { resolvePopularityScorer } from './model-popularity.js';
import { CourseRecommender, type RecommendationResult } from './recommender.js';

export interface RecommendCommandOptions {
  query: string;
  subject?: string;
  level?: string;
  maxPrice?: number | string;
  maxHours?: number | string;
  free?: boolean | string;
  limit?: number | string;
  /** Course CSV to build the catalogue from when there is no snapshot. Default: udemy/udemy_courses.csv in the data root. */
  data?: string;
  /** Snapshot file. Default: <cache>/recommender/catalogue.jsonl. */
  catalogue?: string;
  /** Rebuild the snapshot from the CSV even when one exists. */
  rebuild?: boolean;
  /** Model repository root for the course popularity model (default models/). */
  models?: string;
}

/**
 * `streamlens recommend --query "..." [--subject ...] [--level ...] [--max-price ...] [--max-hours ...] [--free true|false] [--limit n]`:
 * ranks courses for a learner and prints JSON. The catalogue comes from the snapshot; when there
 * is none (or with rebuild) it is built from the CSV through the course pipeline's validation and
 * enrichment, and saved. Popularity: the course model's prediction when models/course has a
 * version, else the subscriber prior (named in the output). A bad option throws RecommendationQueryError naming the field.
 */
export async function recommendCommand(options: RecommendCommandOptions): Promise<RecommendationResult> {
  const file = options.catalogue ?? defaultCatalogueFile();
  const store = new CatalogueStore(file);
  if (options.rebuild && existsSync(file)) store.compact([]);
  const popularity = await resolvePopularityScorer({ modelsRoot: options.models });
  const recommender = await CourseRecommender.open({ store, popularity });
  if (recommender.size === 0) {
    // enriched against the popularity model's reference date when there is one (course age is a model feature)
    const dataset = loadCourseDataset(options.data ?? defaultCourseDataPath(), { referenceDate: popularity.referenceDate });
    await recommender.upsertMany(dataset.records);
    process.stderr.write(
      `recommend: built the catalogue from ${dataset.path} (${dataset.records.length} courses, ${dataset.rejected.length} rejected, ${dataset.duplicates.length} duplicates) into ${file}\n`,
    );
  }
  const input: Record<string, unknown> = { query: options.query };
  for (const key of ['subject', 'level', 'maxPrice', 'maxHours', 'free', 'limit'] as const) {
    if (options[key] !== undefined) input[key] = options[key];
  }
  const result = recommender.recommend(input);
  process.stdout.write(JSON.stringify(result, null, 2) + '\n');
  return result;
}
