import type { StageDefinition } from '../bus/stage-runner.js';
import { audioFeaturesStageForModel } from '../features/audio/stage.js';
import { createCourseEnrichStage } from '../features/course/stage.js';
import { imageFeaturesStageForModel } from '../features/image/stage.js';
import { ClassifierPool } from '../inference/classifier-pool.js';
import { loadClassifier } from '../inference/classifier-loader.js';
import { type AppConfig, shadowVersions } from '../core/config.js';
import { courseInferenceStage, courseReferenceDate } from '../inference/course/course-stage.js';
import { type InferenceRouting, tensorInferenceStage } from '../inference/stage.js';
import type { ShadowServing } from '../inference/shadow-scoring.js';

export const STAGE_NAMES = ['features:audio', 'features:image', 'features:course', 'inference:audio', 'inference:image', 'inference:course'] as const;
export type StageName = (typeof STAGE_NAMES)[number];

export interface StageDeps {
  pool: ClassifierPool;
  routing: InferenceRouting;
  modelsRoot?: string;
  /** Shadow versions (config models.<name>.shadow) and the pool they load in. */
  shadow?: ShadowServing;
}

/**
 * Builds one stage by name. Feature stages take their settings from the manifest of the model
 * that consumes their output, so training and serving use the same feature code and settings.
 */
/** The shadow setup of a config: undefined without `models.<name>.shadow`; else the versions and a pool of their own (no hot reload: a shadow is pinned). */
export function shadowServingFor(config: AppConfig, root?: string): ShadowServing | undefined {
  const versions = shadowVersions(config);
  if (Object.keys(versions).length === 0) return undefined;
  return { versions, pool: new ClassifierPool(loadClassifier, { ...config.inference, reloadIntervalMs: 0, root }) };
}

export function buildStage(name: string, deps: StageDeps): StageDefinition {
  switch (name as StageName) {
    case 'features:audio':
      return audioFeaturesStageForModel('emotion', { root: deps.modelsRoot });
    case 'features:image':
      return imageFeaturesStageForModel('animal', undefined, deps.modelsRoot);
    case 'features:course':
      return createCourseEnrichStage({ referenceDate: courseReferenceDate(deps.modelsRoot) });
    case 'inference:audio':
      return tensorInferenceStage('audio', deps.pool, deps.routing, deps.shadow);
    case 'inference:image':
      return tensorInferenceStage('video', deps.pool, deps.routing, deps.shadow);
    case 'inference:course':
      return courseInferenceStage({ root: deps.modelsRoot, shadows: deps.shadow?.versions });
    default:
      throw new Error(`unknown stage "${name}"; stages: ${STAGE_NAMES.join(', ')}`);
  }
}
