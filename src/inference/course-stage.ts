import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Message, Prediction } from '../bus/envelope.js';
import { PermanentError, StageUnavailableError, type StageDefinition, type StageInput, type StageResult } from '../bus/stage-runner.js';
import { TOPICS } from '../bus/topics.js';
import { type Route, defaultRoute } from '../core/route.js';
import type { EnrichedCourse } from '../features/course/enrich.js';
import { type CoursePrediction, type ExplanationTerm, coursePredictorFromBundle } from './course-predictor.js';
import { stageMetrics } from '../core/metrics.js';
import { featureKeyOf } from './manifest.js';
import { listVersions, modelsRoot, readVersion, type ModelVersion } from './model-repository.js';
import { type LoadedModel, ModelServer } from './model-server.js';
import { liveMonitoring } from '../monitoring/live.js';
import { courseObservation } from '../monitoring/observations.js';

/**
 * The reference date the course model was trained with (course age is computed against it),
 * so live enrichment reproduces training. Without a course model: today.
 */
export function courseReferenceDate(root = modelsRoot()): string {
  for (const v of listVersions('course', root)) {
    try {
      const { manifest, dir } = readVersion(join(root, 'course', v));
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
export function courseInferenceStage(options: { root?: string; reloadIntervalMs?: number } = {}): StageDefinition {
  /** One hot-reloading server per route (model name, pinned version), started on first use. */
  const servers = new Map<string, { server: ModelServer<EnrichedCourse, CoursePrediction>; started?: Promise<unknown> }>();
  const serverFor = async (route: Route) => {
    const key = route.version ? `${route.model}@${route.version}` : route.model;
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
      for (const { route, items } of groups.values()) {
        const model = await serverFor(route);
        const part = await scoreWith(model, items.map((i) => batch[i]));
        items.forEach((i, k) => (results[i] = part[k]));
      }
      return results;
    },
    async close() {
      await Promise.all([...servers.values()].map((e) => e.server.close()));
    },
  };
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
