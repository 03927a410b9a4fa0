import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { loadCourseDataset } from '../features/course/course-dataset.js';
import { CatalogueStore } from './catalogue-store.js';
import type { PopularityScorer } from './popularity.js';
import { CourseRecommender } from './recommender.js';

/**
 * Where a recommender's catalogue comes from. By default it is built in memory from the course
 * CSV, so a one-shot command reads no state another process wrote and leaves none behind. With a
 * snapshot file (`recommend --catalogue FILE`, `start --catalogue FILE`) the catalogue is loaded
 * from it, built from the CSV into it when it does not exist yet, and (in the server, with
 * `--live-catalogue`) kept up to date there. Every answer names the source, file, size and age.
 */
export interface OpenCatalogueOptions {
  /** Course CSV the catalogue is built from. */
  data: string;
  /** Snapshot file (JSON lines of enriched courses); none: in memory only. */
  snapshot?: string;
  popularity: PopularityScorer;
  /** Whether the live course stream will update it (reported in every answer). */
  live?: boolean;
  /** The option that names `data`, for the error when it is missing (default --data). */
  dataOption?: string;
}

export interface OpenedCatalogue {
  recommender: CourseRecommender;
  /** One line saying what was loaded or built, for a log or stderr. */
  summary: string;
}

function mtimeOf(path: string): number | undefined {
  try {
    return statSync(path).mtimeMs;
  } catch {
    return undefined;
  }
}

async function buildFromCsv(recommender: CourseRecommender, data: string, popularity: PopularityScorer, option = '--data'): Promise<string> {
  if (!existsSync(data)) throw new Error(`${data}: no such course CSV to build the recommendation catalogue from; give one with ${option}`);
  // enriched against the popularity model's reference date when there is one (course age is a model feature)
  const ds = loadCourseDataset(data, { referenceDate: popularity.referenceDate });
  await recommender.upsertMany(ds.records);
  return `${ds.records.length} courses from ${resolve(data)} (${ds.rejected.length} rejected, ${ds.duplicates.length} duplicates)`;
}

export async function openCatalogue(o: OpenCatalogueOptions): Promise<OpenedCatalogue> {
  const live = o.live ?? false;
  if (o.snapshot === undefined && !existsSync(o.data) && live) {
    // a server following the live course stream can start from nothing
    const recommender = new CourseRecommender({ popularity: o.popularity });
    recommender.setOrigin({ source: 'memory', live });
    return { recommender, summary: `catalogue: no course CSV at ${o.data}: starts empty and follows the live course streams (${o.dataOption ?? '--data'} CSV builds it)` };
  }
  if (o.snapshot !== undefined) {
    const file = resolve(o.snapshot);
    const recommender = await CourseRecommender.open({ store: new CatalogueStore(file), popularity: o.popularity });
    if (recommender.size > 0) {
      recommender.setOrigin({ source: 'snapshot', path: file, live, updatedAt: mtimeOf(file) });
      return { recommender, summary: `catalogue: ${recommender.size} courses from the snapshot ${file}` };
    }
    const built = await buildFromCsv(recommender, o.data, o.popularity, o.dataOption);
    recommender.setOrigin({ source: 'snapshot', path: file, live, updatedAt: Date.now() });
    return { recommender, summary: `catalogue: built ${built} into the snapshot ${file}` };
  }
  const recommender = new CourseRecommender({ popularity: o.popularity });
  const built = await buildFromCsv(recommender, o.data, o.popularity, o.dataOption);
  recommender.setOrigin({ source: 'csv', path: resolve(o.data), live, updatedAt: mtimeOf(o.data) });
  return { recommender, summary: `catalogue: ${built}, in memory` };
}
