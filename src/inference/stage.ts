import type { Message, MessageOf, Prediction } from '../bus/envelope.js';
import { type Route, defaultRoute } from '../core/route.js';
import { PermanentError, StageUnavailableError, type StageDefinition, type StageInput, type StageResult } from '../bus/stage-runner.js';
import { TOPICS } from '../bus/topics.js';
import { predictionId } from '../bus/prediction-id.js';
import { normaliseRgb } from '../features/image/preprocess.js';
import { type ImageFeatureSettings, type ImageFeatureSettingsInput, parseImageFeatureSettings } from '../features/image/settings.js';
import type { Classifier, ClassifierPool } from './classifier-pool.js';
import { liveMonitoring } from '../monitoring/live.js';
import { tensorObservation } from '../monitoring/observations.js';
import { scoreShadow, shadowQueueOf, type ShadowItem, type ShadowServing } from './shadow-scoring.js';

export interface InferenceRouting {
  /**
   * The route of a message that carries none (sent by a producer older than routes). Every message
   * from this version's sources carries its stream's route (src/core/route.ts) and is served by it.
   */
  fallback?: Route;
  /** Whether a companion model exists in the repository (default: it has a version); missing ones are skipped. */
  hasModel?(name: string): boolean;
}

/** How long a companion found missing is not looked for again. */
const MISSING_COMPANION_RECHECK_MS = 30_000;

export const SILENCE_LABEL = 'silence';
export const UNKNOWN_LABEL = 'unknown';

/** Label + scores from probabilities, with the manifest's "unknown" threshold applied. */
export function decide(model: Classifier, probs: Float32Array): { label: string; scores: Record<string, number>; confidence: number } {
  const labels = model.version.manifest.labels;
  const scores: Record<string, number> = {};
  let best = 0;
  for (let i = 0; i < labels.length; i++) {
    scores[labels[i]] = round4(probs[i]);
    if (probs[i] > probs[best]) best = i;
  }
  const threshold = model.version.manifest.unknownThreshold;
  const confidence = probs[best];
  const label = threshold !== undefined && confidence < threshold ? UNKNOWN_LABEL : labels[best];
  return { label, scores, confidence };
}

function latencies(m: Message, inferenceMs: number, queueMs: number): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [stage, ms] of Object.entries(m.env.stageTimes ?? {})) out[stage.replace(/^.*:/, '')] = ms;
  out.queue = round3(queueMs);
  out.inference = round3(inferenceMs);
  out.endToEnd = Math.max(0, Date.now() - m.env.capturedAt);
  return out;
}

type TensorMessage = MessageOf<'audio.window'> | MessageOf<'video.tensor'>;

/**
 * The inference stage for one media: scores each window/tensor with the stream's model
 * (micro-batched across streams), applies the "unknown" threshold and publishes a Prediction.
 * Silent audio windows are not classified as an emotion: they get the label "silence".
 */
export function tensorInferenceStage(media: 'audio' | 'video', pool: ClassifierPool, routing: InferenceRouting = {}, shadow?: ShadowServing): StageDefinition {
  const name = media === 'audio' ? 'inference:audio' : 'inference:image';
  const fallback = routing.fallback ?? defaultRoute(media);
  const missingUntil = new Map<string, number>();
  const companionAvailable = (companion: string): boolean => {
    const until = missingUntil.get(companion);
    if (until !== undefined && Date.now() < until) return false;
    const ok = routing.hasModel ? routing.hasModel(companion) : true;
    if (!ok) missingUntil.set(companion, Date.now() + MISSING_COMPANION_RECHECK_MS);
    else missingUntil.delete(companion);
    return ok;
  };
  return {
    name,
    input: media === 'audio' ? TOPICS.audioWindows : TOPICS.videoTensors,
    accepts: media === 'audio' ? ['audio.window'] : ['video.tensor'],
    maxBatchSize: 64,
    async process(batch: StageInput[]): Promise<StageResult[]> {
      const shadowItems: ShadowItem[] = [];
      // While a served batch is processed no shadow scoring starts (src/inference/shadow-queue.ts).
      const queue = shadow ? shadowQueueOf(shadow) : undefined;
      queue?.servedStarted();
      try {
        const results = await Promise.all(
          batch.map(async ({ message, source }): Promise<StageResult> => {
            const m = message as TensorMessage;
            const started = performance.now();
            const queueMs = Math.max(0, Date.now() - source.timestamp);
            const route = m.env.route ?? fallback;
            let server;
            try {
              server = await pool.server(route.model, route.version);
            } catch (e) {
              // No model can be loaded: transient for the pipeline (a model may be published), so retry.
              throw new StageUnavailableError(`model ${route.model}${route.version ? ` v${route.version}` : ''} unavailable: ${(e as Error).message}`);
            }
            const model = server.forFeatureKey(m.meta.featureKey);
            if (!model) {
              return new PermanentError(
                `input made with feature settings ${m.meta.featureKey} that no loaded version of ${route.model} uses`,
                'feature-mismatch',
              );
            }
            const expected = model.version.manifest.inputs[0].shape.slice(1);
            const shape = m.meta.shape;
            if (expected.length !== shape.length || expected.some((d, i) => d !== -1 && d !== shape[i])) {
              return new PermanentError(`tensor shape [${shape}] does not fit model input [${expected}]`, 'shape');
            }
            const input = m.data instanceof Float32Array ? m.data : normaliseRgb(m.data, imageSettingsOf(model));
            const speech = m.type === 'audio.window' ? m.meta.speech : undefined;
            const extra: Record<string, unknown> = {};
            if (m.type === 'audio.window' && m.meta.rmsDb !== undefined) extra.rmsDb = round3(m.meta.rmsDb);
            if (m.type === 'video.tensor' && m.jpeg && m.jpeg.length <= 48 * 1024) extra.frame = m.jpeg.toString('base64');
            let label = SILENCE_LABEL;
            let scores: Record<string, number> = {};
            if (speech !== false) {
              const probs = await pool.score(model, input, name);
              let confidence: number;
              ({ label, scores, confidence } = decide(model, probs));
              if (liveMonitoring) observeForMonitoring(m, model, input, { label, confidence, unknown: label === UNKNOWN_LABEL });
              if (shadow) shadowItems.push({ model: route.model, servedVersion: model.version.manifest.version, servedLabel: label, featureKey: m.meta.featureKey, input, stage: name });
              for (const companion of route.companions ?? []) {
                if (!companionAvailable(companion)) continue;
                try {
                  const cs = await pool.server(companion);
                  const cm = cs.forFeatureKey(m.meta.featureKey);
                  if (!cm) continue;
                  const d = decide(cm, await pool.score(cm, input, name));
                  extra[companion] = { label: d.label, scores: d.scores, version: cm.version.manifest.version };
                } catch {
                  /* a companion model is optional */
                }
              }
            }
            else if (liveMonitoring) observeForMonitoring(m, model, input);
            const kind = media === 'audio' ? 'audio' : 'image';
            const prediction: Prediction = {
              id: predictionId({ streamId: m.env.streamId, kind, seq: m.env.seq, capturedAt: m.env.capturedAt }),
              streamId: m.env.streamId,
              kind,
              seq: m.env.seq,
              ...(m.type === 'audio.window'
                ? { window: { start: m.meta.startSec, end: m.meta.endSec } }
                : m.meta.ptsSec !== undefined
                  ? { window: { start: m.meta.ptsSec, end: m.meta.ptsSec } }
                  : {}),
              label,
              scores,
              ...(speech !== undefined ? { speech } : {}),
              extra,
              model: { name: route.model, version: model.version.manifest.version },
              latencyMs: latencies(m, performance.now() - started, queueMs),
              explanation: null,
            };
            const out: Message = { type: 'prediction', env: { ...m.env }, prediction };
            return [{ topic: TOPICS.predictions, message: out }];
          }),
        );
        // The shadow version (config models.<name>.shadow) scores the same inputs once the batch's answers are
        // handed to the runner for publishing (best effort, src/inference/shadow-scoring.ts).
        if (shadow && shadowItems.length > 0) scoreShadow(shadow, shadowItems, decide);
        return results;
      } finally {
        queue?.servedEnded();
      }
    },
  };
}

/** Live drift monitoring (src/monitoring/live.ts) of the served input and answer; never fails the item. */
function observeForMonitoring(m: TensorMessage, model: Classifier, input: Float32Array, answer?: { label: string; confidence: number; unknown: boolean }): void {
  try {
    const image = m.type === 'video.tensor';
    if (!liveMonitoring!.sample(m.env.streamId, image ? 'image' : 'audio')) return;
    const obs = tensorObservation(m, model.version.manifest.features.kind === 'image' ? imageSettingsOf(model) : undefined);
    if (!obs) return;
    // Images: the model input goes along for the backbone-embedding features of one sampled image in N.
    if (image) liveMonitoring!.observeImage(m.env.streamId, model.version, obs, input, answer);
    else liveMonitoring!.observe(m.env.streamId, model.version, obs, answer);
  } catch {
    /* monitoring is best effort */
  }
}

/** The image feature settings a model was trained with (rgb8 tensors are normalised by them), parsed once per version. */
const imageSettingsCache = new WeakMap<Classifier, ImageFeatureSettings>();
function imageSettingsOf(model: Classifier): ImageFeatureSettings {
  let s = imageSettingsCache.get(model);
  if (!s) {
    const f = model.version.manifest.features;
    if (f.kind !== 'image') throw new PermanentError(`an rgb8 tensor reached model ${model.version.manifest.name}, which takes ${f.kind} features`, 'shape');
    imageSettingsCache.set(model, (s = parseImageFeatureSettings(f.settings as ImageFeatureSettingsInput)));
  }
  return s;
}

function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}
function round4(x: number): number {
  return Math.round(x * 10000) / 10000;
}
