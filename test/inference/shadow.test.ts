import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Message, Prediction } from '../../src/bus/envelope.js';
import type { StageDefinition, StageInput, StageResult } from '../../src/bus/stage-runner.js';
import { shadowVersions, parseConfig } from '../../src/core/config.js';
import { preprocessImage } from '../../src/features/image/preprocess.js';
import { parseImageFeatureSettings } from '../../src/features/image/settings.js';
import { loadClassifier } from '../../src/inference/classifier-loader.js';
import { ClassifierPool } from '../../src/inference/classifier-pool.js';
import { loadCoursePredictor } from '../../src/inference/course/course-predictor.js';
import { courseInferenceStage } from '../../src/inference/course/course-stage.js';
import { featureKeyOf } from '../../src/models/manifest.js';
import { resolveModel } from '../../src/models/model-repository.js';
import { ShadowQueue } from '../../src/inference/shadow-queue.js';
import { tensorInferenceStage } from '../../src/inference/stage.js';
import { ShadowAgreement } from '../../src/monitoring/shadow-agreement.js';
import { shippedSplits } from '../../src/monitoring/shipped.js';
import { loadCourseDataset } from '../../src/features/course/course-dataset.js';
import { registry } from '../../src/core/metrics.js';

/**
 * Shadow versions on the shipped models: the animal model v2 as its own shadow (the same weights
 * loaded twice: agreement 1 on held-out photos), and course v3 as the shadow of course v4 on the
 * held-out course records (agreement = the share of records on which the two versions, loaded
 * directly, predict the same subject). The served answers are the same with and without a shadow.
 */
function input(message: Message, offset: number): StageInput {
  return { message, source: { topic: 'in', partition: 0, offset: String(offset), key: message.env.streamId, value: Buffer.alloc(0), headers: {}, timestamp: Date.now() } as unknown as StageInput['source'] };
}

function predictionsOf(results: StageResult[]): Prediction[] {
  return results.map((r) => {
    if (r instanceof Error) throw r;
    const m = r[0].message;
    if (m.type !== 'prediction') throw new Error(`expected a prediction, got ${m.type}`);
    return m.prediction;
  });
}

async function scoreIn(stage: StageDefinition, batch: StageInput[], size: number): Promise<Prediction[]> {
  const out: Prediction[] = [];
  for (let i = 0; i < batch.length; i += size) out.push(...predictionsOf(await stage.process(batch.slice(i, i + size))));
  return out;
}

describe('config: models.<name>.shadow', () => {
  it('is validated and read per model', () => {
    expect(shadowVersions(parseConfig({ models: { animal: { shadow: '2' }, emotion: {} } }))).toEqual({ animal: '2' });
    expect(() => parseConfig({ models: { animal: { shadow: 'latest' } } })).toThrow(/models\.animal\.shadow: a version number/);
    expect(() => parseConfig({ models: { animal: { shadwo: '2' } } })).toThrow(/models\.animal/);
  });
});

describe('shadow of the animal model: the same version twice', () => {
  const v = resolveModel('animal');
  const messages: Message[] = [];
  const pool = new ClassifierPool(loadClassifier, { maxBatchSize: 16, maxWaitMs: 2, reloadIntervalMs: 0 });
  const shadowPool = new ClassifierPool(loadClassifier, { maxBatchSize: 16, maxWaitMs: 2, reloadIntervalMs: 0 });
  beforeAll(async () => {
    const settings = parseImageFeatureSettings(v.manifest.features.settings as Parameters<typeof parseImageFeatureSettings>[0]);
    const files = (shippedSplits(v).heldOut as string[]).filter((_, i) => i % 3 === 0).slice(0, 60);
    for (const [seq, f] of files.entries()) {
      const t = await preprocessImage(f, settings);
      messages.push({ type: 'video.tensor', env: { streamId: 'cam-shadow', seq, capturedAt: Date.now(), route: { model: 'animal' } }, meta: { shape: [...t.shape], encoding: 'f32', featureKey: featureKeyOf(v.manifest.features) }, data: t.data });
    }
  }, 120_000);
  afterAll(async () => {
    await pool.close();
    await shadowPool.close();
  });

  it('scores every photo twice; agreement 1; the served answers are the ones without a shadow; nothing of the shadow is published', async () => {
    const agreement = new ShadowAgreement();
    const queue = new ShadowQueue(1024);
    const version = v.manifest.version;
    const withShadow = tensorInferenceStage('video', pool, { fallback: { model: 'animal' } }, { versions: { animal: version }, pool: shadowPool, queue, agreement });
    const plain = tensorInferenceStage('video', pool, { fallback: { model: 'animal' } });
    const batch = messages.map((m, i) => input(m, i));
    const served = await scoreIn(withShadow, batch, 16);
    await queue.idle();
    const alone = await scoreIn(plain, batch, 16);
    expect(served.map((p) => [p.label, p.scores])).toEqual(alone.map((p) => [p.label, p.scores]));
    expect(served.map((p) => p.extra)).toEqual(alone.map((p) => p.extra)); // nothing of the shadow in what is published
    const [s] = agreement.snapshot();
    expect(s).toMatchObject({ model: 'animal', served: version, shadow: version, n: messages.length, agreeing: messages.length, share: 1, rolling: 1 });
    expect(s.confusion.labels.slice(0, 3)).toEqual(['cat', 'dog', 'fox']);
    const metrics = await registry.getSingleMetric('streamlens_shadow_agreement')!.get();
    expect(metrics.values.find((x) => x.labels.model === 'animal' && x.labels.served === version)?.value).toBe(1);
  });

  it('a shadow that answers differently: the shipped weights with a stricter unknown threshold (0.95) as the next version; disagreements counted exactly', async () => {
    const root = mkdtempSync(join(tmpdir(), 'streamlens-shadow-models-'));
    const strict = String(Number(v.manifest.version) + 1);
    try {
      cpSync(v.dir, join(root, 'animal', v.manifest.version), { recursive: true });
      cpSync(v.dir, join(root, 'animal', strict), { recursive: true });
      const manifestPath = join(root, 'animal', strict, 'manifest.json');
      writeFileSync(manifestPath, JSON.stringify({ ...JSON.parse(readFileSync(manifestPath, 'utf8')), version: strict, unknownThreshold: 0.95 }, null, 1));
      const servedPool = new ClassifierPool(loadClassifier, { maxBatchSize: 16, maxWaitMs: 2, reloadIntervalMs: 0, root });
      const strictPool = new ClassifierPool(loadClassifier, { maxBatchSize: 16, maxWaitMs: 2, reloadIntervalMs: 0, root });
      const agreement = new ShadowAgreement();
      const queue = new ShadowQueue(1024);
      const route = { model: 'animal', version: v.manifest.version };
      const stage = tensorInferenceStage('video', servedPool, { fallback: route }, { versions: { animal: strict }, pool: strictPool, queue, agreement });
      const served = await scoreIn(stage, messages.map((m, i) => input({ ...m, env: { ...m.env, route } } as Message, i)), 16);
      await queue.idle();
      await servedPool.close();
      await strictPool.close();
      // The same probabilities; the shadow says "unknown" wherever the top one is below 0.95.
      const shadowLabel = (p: Prediction) => (p.label === 'unknown' || Math.max(...Object.values(p.scores)) < 0.95 ? 'unknown' : p.label);
      const agreeing = served.filter((p) => shadowLabel(p) === p.label).length;
      const [s] = agreement.snapshot();
      expect(s).toMatchObject({ model: 'animal', served: v.manifest.version, shadow: strict, n: messages.length, agreeing });
      expect(agreeing).toBeLessThan(messages.length);
      const unknownColumn = s.confusion.labels.indexOf('unknown');
      expect(s.confusion.counts.reduce((a, row) => a + row[unknownColumn], 0)).toBe(served.filter((p) => shadowLabel(p) === 'unknown').length);
      console.log(`animal v${v.manifest.version} served, strict-threshold copy as shadow: agreement ${s.share.toFixed(4)} on ${messages.length} held-out photos`);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('a shadow version that does not exist is skipped and counted, the served answers unchanged', async () => {
    const agreement = new ShadowAgreement();
    const queue = new ShadowQueue(1024);
    const stage = tensorInferenceStage('video', pool, { fallback: { model: 'animal' } }, { versions: { animal: '999' }, pool: shadowPool, queue, agreement });
    const served = await scoreIn(stage, messages.slice(0, 8).map((m, i) => input(m, i)), 8);
    await queue.idle();
    expect(served).toHaveLength(8);
    expect(agreement.snapshot()).toEqual([]);
    const skipped = await registry.getSingleMetric('streamlens_shadow_skipped_total')!.get();
    expect(skipped.values.find((x) => x.labels.shadow === '999' && x.labels.reason === 'unavailable')?.value).toBe(8);
  });
});

describe('shadow of the course model: v3 beside the served v4', () => {
  it('agreement on held-out records equals the share of records on which the two versions, scored directly, predict the same subject', async () => {
    const served = resolveModel('course', '4');
    const ds = loadCourseDataset(undefined, { referenceDate: (served.manifest.features.settings as { referenceDate?: string }).referenceDate });
    const records = (shippedSplits(served).heldOut as number[]).map((i) => ds.records[i]);
    const direct4 = loadCoursePredictor('4').predict(records).map((p) => p.subject.label);
    const direct3 = loadCoursePredictor('3').predict(records).map((p) => p.subject.label);
    const expected = direct4.filter((l, i) => l === direct3[i]).length / records.length;

    const agreement = new ShadowAgreement();
    const shadowQueue = new ShadowQueue(1024);
    const stage = courseInferenceStage({ reloadIntervalMs: 0, shadows: { course: '3' }, shadowQueue, agreement });
    const batch = records.map((r, seq) => input({ type: 'course.enriched', env: { streamId: 'courses-shadow', seq, capturedAt: Date.now(), route: { model: 'course', version: '4' } }, record: r as unknown as Record<string, unknown> }, seq));
    const predictions = await scoreIn(stage, batch, 256);
    await shadowQueue.idle();
    await stage.close?.();
    expect(predictions.map((p) => p.label)).toEqual(direct4);
    const [s] = agreement.snapshot();
    expect(s).toMatchObject({ model: 'course', served: '4', shadow: '3', n: records.length });
    expect(s.share).toBeCloseTo(expected, 12);
    // v3 and v4 share the subject model (v4 changed the subscriber regression): they agree on every subject.
    expect(expected).toBe(1);
    // The matrix: rows the served answers, columns the shadow's, counted directly.
    const labels = s.confusion.labels;
    const counts = labels.map(() => labels.map(() => 0));
    direct4.forEach((l, i) => counts[labels.indexOf(l)][labels.indexOf(direct3[i])]++);
    expect(s.confusion.counts).toEqual(counts);
    console.log(`course v4 served, v3 shadow: agreement ${s.share.toFixed(4)} on ${records.length} held-out records (kappa ${s.kappa?.toFixed(4)})`);
  }, 120_000);
});

describe('ShadowQueue: the served path first', () => {
  it('starts no shadow task while a served batch runs, one task at a time, and refuses beyond maxPending items', async () => {
    const q = new ShadowQueue(10);
    const log: string[] = [];
    let running = 0;
    let most = 0;
    const task = (name: string) => async () => {
      running++;
      most = Math.max(most, running);
      log.push(`start ${name}`);
      await new Promise((r) => setTimeout(r, 5));
      running--;
    };
    q.servedStarted();
    expect(q.submit(task('a'), 4)).toBe(true);
    expect(q.submit(task('b'), 4)).toBe(true);
    expect(q.submit(task('c'), 4)).toBe(false); // 12 items > 10
    await new Promise((r) => setTimeout(r, 30));
    expect(log).toEqual([]); // the served batch is still running
    q.servedEnded();
    await q.idle();
    expect(log).toEqual(['start a', 'start b']);
    expect(most).toBe(1);
    expect(q.size).toBe(0);
  });
});
