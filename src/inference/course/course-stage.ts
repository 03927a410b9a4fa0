import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Message, Prediction } from '../../bus/envelope.js';
import { PermanentError, StageUnavailableError, type StageDefinition, type StageInput, type StageResult } from '../../bus/stage-runner.js';
import { TOPICS } from '../../bus/topics.js';
import { predictionId } from '../../bus/prediction-id.js';
import { DEFAULT_MODEL_BY_MEDIA, type Route, defaultRoute } from '../../core/route.js';
import type { EnrichedCourse } from '../../features/course/enrich.js';
import { type CoursePrediction, type ExplanationTerm, coursePredictorFromBundle } from './course-predictor.js';
import { stageMetrics } from '../../core/metrics.js';
import { featureKeyOf } from '../../models/manifest.js';
import { listVersions, modelsRoot, readVersion, type ModelVersion } from '../../models/model-repository.js';
import { type LoadedModel, ModelServer } from '../model-server.js';
import { ShadowQueue } from '../shadow-queue.js';
import { shadowAgreement as processShadowAgreement, type ShadowAgreement } from '../../monitoring/shadow-agreement.js';
import { liveMonitoring } from '../../monitoring/live.js';
import { courseObservation } from '../../monitoring/observations.js';

/**
 * The reference date the course model was trained with (course age is computed against it),
 * so live enrichment reproduces training. Without a course model: today.
 */
export function courseReferenceDate(root = modelsRoot()): string {
  for (const v of listVersions(DEFAULT_MODEL_BY_MEDIA.course, root)) {
    try {
      const { manifest, dir } = readVersion(join(root, DEFAULT_MODEL_BY_MEDIA.course, v));
      const fromManifest = (manifest.training as { referenceDate?: unknown }).referenceDate ?? (manifest.features.settings as { referenceDate?: unknown }).referenceDate;
      if (typeof fromManifest === 'string') return fromManifest;
      const bundle = JSON.parse(readFileSync(join(dir, manifest.files.json!), 'utf8')) as { referenceDate?: string };
      if (bundle.referenceDate) return bundle.referenceDate;
    } catch {
      /* a broken version is refused by the model server; try the next */
    }
  }
  return new Date().toISOString();
}

async function loadCourseModel(v: ModelVersion): Promise<LoadedModel<EnrichedCourse, CoursePrediction>> {
  const m = v.manifest;
  if (m.format !== 'json' || !m.files.json) throw new Error(`model ${v.dir}: course models are format "json"`);
  const predictor = coursePredictorFromBundle(JSON.parse(readFileSync(join(v.dir, m.files.json), 'utf8')), m, v.dir);
  const labels = { model: m.name, version: m.version };
  stageMetrics.explanationBytes.set(labels, predictor.explanationBytes);
  return {
    version: v,
    featureKey: featureKeyOf(m.features),
    predict: async (records) => predictor.predict(records),
    close: async () => {
      stageMetrics.explanationBytes.remove(labels);
    },
  };
}

/** Explanation terms for the dashboard: readable names with signed weights. */
function terms(explanation: ExplanationTerm[]): { term: string; weight: number }[] {
  return explanation.map((e) => ({ term: e.feature.replace(/^title:/, ''), weight: Math.round(e.contribution * 1000) / 1000 }));
}

/**
 * inference:course — scores enriched course records with the course model (subject, popularity,
 * subscribers) and publishes a prediction per record: label = predicted subject, with the
 * popularity probability, predicted subscribers and the top explanation terms. Hot-reloads new
 * versions like the tensor models.
 */
export function courseInferenceStage(
  options: {
    root?: string;
    reloadIntervalMs?: number;
    /** Shadow version per model name (config models.<name>.shadow): scored on the same records after the served answers are handed back. */
    shadows?: Record<string, string>;
    shadowQueue?: ShadowQueue;
    agreement?: ShadowAgreement;
  } = {},
): StageDefinition {
  /** One hot-reloading server per route (model name, pinned version), started on first use; shadow versions apart. */
  const servers = new Map<string, { server: ModelServer<EnrichedCourse, CoursePrediction>; started?: Promise<unknown> }>();
  const shadowQueue = options.shadowQueue ?? new ShadowQueue(4096);
  const agreement = options.agreement ?? processShadowAgreement;
  const serverFor = async (route: Route, role: 'served' | 'shadow' = 'served') => {
    const key = `${role === 'shadow' ? 'shadow:' : ''}${route.version ? `${route.model}@${route.version}` : route.model}`;
    let entry = servers.get(key);
    if (!entry) {
      const server = new ModelServer<EnrichedCourse, CoursePrediction>(route.model, loadCourseModel, {
        root: options.root,
        pinnedVersion: route.version,
        reloadIntervalMs: options.reloadIntervalMs ?? 5000,
      });
      servers.set(key, (entry = { server }));
    }
    const e = entry;
    e.started ??= e.server.start().catch((err) => {
      e.started = undefined;
      throw new StageUnavailableError(`course model ${key} unavailable: ${(err as Error).message}`);
    });
    await e.started;
    return e.server.serving();
  };
  return {
    name: 'inference:course',
    input: TOPICS.coursesEnriched,
    accepts: ['course.enriched'],
    maxBatchSize: 256,
    /** Loads the default course model before the first record, so the first seconds do not show loading as latency. */
    async warmUp() {
      await serverFor(FALLBACK_ROUTE);
    },
    async process(batch: StageInput[]): Promise<StageResult[]> {
      // Records of one batch usually share a route; each group is scored by its route's model.
      const groups = new Map<string, { route: Route; items: number[] }>();
      batch.forEach((b, i) => {
        const route = b.message.env.route ?? FALLBACK_ROUTE;
        const key = route.version ? `${route.model}@${route.version}` : route.model;
        let g = groups.get(key);
        if (!g) groups.set(key, (g = { route, items: [] }));
        g.items.push(i);
      });
      const results: StageResult[] = new Array(batch.length);
      // While a served batch is scored no shadow scoring starts (src/inference/shadow-queue.ts).
      shadowQueue.servedStarted();
      try {
        for (const { route, items } of groups.values()) {
          const model = await serverFor(route);
          const part = await scoreWith(model, items.map((i) => batch[i]));
          items.forEach((i, k) => (results[i] = part[k]));
          const shadow = options.shadows?.[route.model];
          if (shadow) scheduleShadow(route.model, shadow, items.map((i) => batch[i]), part);
        }
      } finally {
        shadowQueue.servedEnded();
      }
      return results;
    },
    async close() {
      await shadowQueue.idle();
      await Promise.all([...servers.values()].map((e) => e.server.close()));
    },
  };

  /** The shadow version scores the same records once the batch's answers are handed back (best effort); its subjects are compared with the served ones. */
  function scheduleShadow(name: string, version: string, inputs: StageInput[], served: StageResult[]): void {
    const pairs = inputs.flatMap((b, k) => {
      const r = served[k];
      if (r instanceof Error || b.message.type !== 'course.enriched') return [];
      const out = r[0].message;
      return out.type === 'prediction' ? [{ record: b.message.record as unknown as EnrichedCourse, served: out.prediction }] : [];
    });
    if (pairs.length === 0) return;
    const accepted = shadowQueue.submit(async () => {
      const t0 = performance.now();
      let model;
      try {
        model = await serverFor({ model: name, version }, 'shadow');
      } catch {
        agreement.skipped(name, version, 'unavailable', pairs.length);
        return;
      }
      try {
        const answers = await model.predict(pairs.map((p) => p.record));
        pairs.forEach((p, k) => agreement.record(name, p.served.model.version, version, p.served.label, answers[k].subject.label, model.version.manifest.labels));
      } catch {
        agreement.skipped(name, version, 'error', pairs.length);
      } finally {
        agreement.timeSpent(name, version, (performance.now() - t0) / 1000);
      }
    }, pairs.length);
    if (!accepted) agreement.skipped(name, version, 'busy', pairs.length);
  }
}

const FALLBACK_ROUTE = defaultRoute('course');

async function scoreWith(model: LoadedModel<EnrichedCourse, CoursePrediction>, batch: StageInput[]): Promise<StageResult[]> {
  const t0 = performance.now();
  let preds: CoursePrediction[];
  const records = batch.map((b) => (b.message.type === 'course.enriched' ? (b.message.record as unknown as EnrichedCourse) : undefined));
  try {
    preds = await model.predict(records.filter((r): r is EnrichedCourse => r !== undefined));
  } catch (e) {
    // One bad record must not sink the batch: score one by one.
    preds = [];
    for (const r of records) {
      if (!r) continue;
      try {
        preds.push((await model.predict([r]))[0]);
      } catch (err) {
        preds.push(new PermanentError(`course record cannot be scored: ${(err as Error).message}`, 'scoring') as unknown as CoursePrediction);
      }
    }
  }
  const perRecordMs = (performance.now() - t0) / Math.max(1, batch.length);
  let k = 0;
  return batch.map(({ message, source }): StageResult => {
    if (message.type !== 'course.enriched') return new PermanentError(`expected course.enriched, got ${message.type}`, 'unknown-type');
    const p = preds[k++];
    if (p instanceof Error) return p;
    const record = message.record as unknown as EnrichedCourse;
    if (liveMonitoring?.sample(message.env.streamId, 'course')) observeCourse(message.env.streamId, model.version, record, p);
    const latencyMs: Record<string, number> = {};
    for (const [stage, ms] of Object.entries(message.env.stageTimes ?? {})) latencyMs[stage.replace(/^.*:/, '')] = ms;
    latencyMs.queue = Math.max(0, Date.now() - source.timestamp);
    latencyMs.inference = Math.round(perRecordMs * 1000) / 1000;
    latencyMs.endToEnd = Math.max(0, Date.now() - message.env.capturedAt);
    const prediction: Prediction = {
      id: predictionId({ streamId: message.env.streamId, kind: 'course', seq: message.env.seq, capturedAt: message.env.capturedAt }),
      streamId: message.env.streamId,
      kind: 'course',
      seq: message.env.seq,
      label: p.subject.label,
      scores: p.subject.scores,
      extra: {
        courseId: p.courseId,
        title: record.title,
        popularity: Math.round(p.popularity.probability * 10000) / 10000,
        popular: p.popularity.popular,
        predictedSubscribers: Math.round(p.subscribers.predicted),
        popularityExplanation: terms(p.popularity.explanation),
      },
      model: { name: model.version.manifest.name, version: model.version.manifest.version },
      latencyMs,
      explanation: terms(p.subject.explanation),
    };
    const out: Message = { type: 'prediction', env: { ...message.env }, prediction };
    return [{ topic: TOPICS.predictions, message: out }];
  });
}

/**
 * Live drift monitoring (src/monitoring/live.ts) of a scored record: every numeric and categorical
 * field of the course reference, and the subject answer (the label the reference's outputs describe),
 * per stream and model version, for one record in courseSampleEvery; never fails the record.
 */
function observeCourse(stream: string, version: ModelVersion, record: EnrichedCourse, p: CoursePrediction): void {
  try {
    let confidence = 0;
    for (const s of Object.values(p.subject.scores)) if (s > confidence) confidence = s;
    liveMonitoring!.observe(stream, version, courseObservation(record), { label: p.subject.label, confidence, unknown: false });
  } catch {
    /* monitoring is best effort */
  }
}
