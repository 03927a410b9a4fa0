import type { StageDefinition } from './bus/stage-runner.js';
import { audioFeaturesStageForModel } from './features/audio/stage.js';
import { createCourseEnrichStage } from './features/course/stage.js';
import { imageFeaturesStageForModel } from './features/image/stage.js';
import type { ClassifierPool } from './inference/classifier-pool.js';
import { courseInferenceStage, courseReferenceDate } from './inference/course-stage.js';
import { type InferenceRouting, tensorInferenceStage } from './inference/stage.js';

export const STAGE_NAMES = ['features:audio', 'features:image', 'features:course', 'inference:audio', 'inference:image', 'inference:course'] as const;
export type StageName = (typeof STAGE_NAMES)[number];

export interface StageDeps {
  pool: ClassifierPool;
  routing: InferenceRouting;
  modelsRoot?: string;
}

/**
 * Builds one stage by name. Feature stages take their settings from the manifest of the model
 * that consumes their output, so training and serving use the same feature code and settings.
 */
export function buildStage(name: string, deps: StageDeps): StageDefinition {
  switch (name as StageName) {
    case 'features:audio':
      return audioFeaturesStageForModel('emotion', { root: deps.modelsRoot });
    case 'features:image':
      return imageFeaturesStageForModel('animal', undefined, deps.modelsRoot);
    case 'features:course':
      return createCourseEnrichStage({ referenceDate: courseReferenceDate(deps.modelsRoot) });
    case 'inference:audio':
      return tensorInferenceStage('audio', deps.pool, deps.routing);
    case 'inference:image':
      return tensorInferenceStage('video', deps.pool, deps.routing);
    case 'inference:course':
      return courseInferenceStage({ root: deps.modelsRoot });
    default:
      throw new Error(`unknown stage "${name}"; stages: ${STAGE_NAMES.join(', ')}`);
  }
}
