import { COURSE_LEVELS } from '../features/course/schema.js';
import { RecommendationQueryError } from './query.js';
import type { CatalogueDescription, CourseRecommender } from './recommender.js';

/** A framework-free HTTP answer: the gateway sends `body` as JSON with `status`. */
export interface HttpAnswer {
  status: number;
  body: Record<string, unknown>;
}

/**
 * GET /api/recommendations?query=...&subject=...&level=...&maxPrice=...&maxHours=...&free=true|false&limit=10
 * 200 {query, ranking, results, candidates, catalogue}; 400 {error, field} for a bad or unknown
 * parameter (also a repeated one).
 */
export function handleRecommendations(recommender: CourseRecommender, url: URL): HttpAnswer {
  const params: Record<string, string> = {};
  for (const key of new Set(url.searchParams.keys())) {
    const values = url.searchParams.getAll(key);
    if (values.length > 1) return badRequest(key, `${key}: given ${values.length} times; give it once`);
    params[key] = values[0];
  }
  if (params.query === undefined) return badRequest('query', 'query: missing; say what you want to learn (?query=...)');
  try {
    const result = recommender.recommend(params);
    return { status: 200, body: result as unknown as Record<string, unknown> };
  } catch (e) {
    if (e instanceof RecommendationQueryError) return badRequest(e.field, e.message);
    throw e;
  }
}

/** The body of GET /api/recommendations/catalogue (the dashboard imports this type). */
export type CatalogueStatus = CatalogueDescription & {
  subjects: string[];
  levels: string[];
  popularitySource: string;
  popularityDescription: string;
  popularityWeight: number;
  blendWeights: CourseRecommender['weights'];
};

/** GET /api/recommendations/catalogue: size and version (the dashboard re-queries when the version moves), subjects and levels for the form. */
export function handleCatalogueStatus(recommender: CourseRecommender): HttpAnswer {
  const body: CatalogueStatus = {
    ...recommender.describeCatalogue(),
    subjects: recommender.subjects,
    levels: [...COURSE_LEVELS],
    popularitySource: recommender.popularityScorer.source,
    popularityDescription: recommender.popularityScorer.description,
    popularityWeight: recommender.popularityWeight,
    blendWeights: recommender.weights,
  };
  return { status: 200, body: { ...body } };
}

function badRequest(field: string, message: string): HttpAnswer {
  return { status: 400, body: { error: message, field } };
}
