import { describe, expect, it } from 'vitest';
import { SeededRandom } from '../../src/core/random.js';
import { registry } from '../../src/core/metrics.js';
import { resolveModel } from '../../src/models/model-repository.js';
import type { BusMessage } from '../../src/bus/bus.js';
import type { EnrichedCourse } from '../../src/features/course/enrich.js';
import { decodeResizedRgb, normaliseRgb } from '../../src/features/image/preprocess.js';
import { parseImageFeatureSettings } from '../../src/features/image/settings.js';
import { courseInferenceStage } from '../../src/inference/course/course-stage.js';
import { LIVE_DEFAULTS, LiveMonitoring, liveMonitoring } from '../../src/monitoring/live.js';
import { loadCourseDataset } from '../../src/features/course/course-dataset.js';
import { tensorObservation } from '../../src/monitoring/observations.js';
import { loadReference, shippedBatch, shippedSplits } from '../../src/monitoring/shipped.js';
import { observationsOf, simulateStream } from '../../src/monitoring/simulate.js';

/**
 * Live monitoring: gauges per stream and model, and 30-minute simulated streams (clean: at most one
 * false alarm; shifted after 15 minutes: detected, with the delay reported). The numbers printed
 * here are the ones in BENCHMARKS.md ("Monitoring").
 */
describe('live drift gauges', () => {
  it('a stream of quieter audio windows sets the drift gauges for its stream and model', async () => {
    const v = resolveModel('emotion');
    const b = await shippedBatch(v, 'heldOut', { transformPcm: (p) => p.map((x) => Math.round(x * 0.25)), predict: false });
    const live = new LiveMonitoring({ windowSize: 200, every: 50 });
    for (const o of observationsOf(b.observations).slice(0, 400)) live.observe('mic-1', v, o, { label: 'calm', confidence: 0.5, unknown: false });
    const text = await registry.metrics();
    expect(text).toMatch(/streamlens_monitor_drift\{stream="mic-1",model="emotion",version="4"\} 1/);
    expect(text).toMatch(/streamlens_monitor_drifting_features\{stream="mic-1",model="emotion",version="4"\} [1-9]/);
    expect(text).toMatch(/streamlens_monitor_mean_confidence\{stream="mic-1",model="emotion",version="4"\} 0\.5/);
    const snap = live.snapshot();
    expect(snap[0].history.length).toBeGreaterThan(1);
    expect(snap[0].history.at(-1)!.drifting).toContain('rms_db');
  }, 60_000);

  it('tensorObservation reads an audio window message as the batch extractor does (zero padding rows left out)', () => {
    // 50 real frames alternating +1 / -1 every 4 frames, then 50 padding rows; every 4th frame is read:
    // 13 values, 7 of +1 and 6 of -1, so the spread is sqrt(1 - (1/13)^2) (with the padding it would be ~0.72).
    const data = new Float32Array(100 * 40).map((_, i) => (i < 50 * 40 ? (Math.floor(i / 160) % 2 === 0 ? 1 : -1) : 0));
    const o = tensorObservation({ type: 'audio.window', meta: { shape: [100, 40], rmsDb: -30, speech: true }, data })!;
    expect(o.numeric.rms_db).toBe(-30);
    expect(o.categorical.speech).toBe('yes');
    for (let g = 0; g < 8; g++) expect(o.numeric[`band${g}_spread`]).toBeCloseTo(Math.sqrt(1 - 1 / 169), 9);
  });
});

const shuffled = <T>(items: readonly T[], seed = 11): T[] => new SeededRandom(seed).shuffle([...items]);

describe('live course monitoring (inference:course)', () => {
  it('scored records feed the drift gauges per stream and model: clean held-out records do not drift, doubled prices and durations do', async () => {
    const v = resolveModel('course');
    const ds = loadCourseDataset(undefined, { referenceDate: (v.manifest.features.settings as { referenceDate: string }).referenceDate });
    // In seeded random order: the CSV is grouped by subject, and 300 consecutive records of one subject
    // are a real shift of the predicted labels (a stream of one subject does raise the prediction gauges).
    // The stage monitors one record in 8 (LIVE_DEFAULTS.courseSampleEvery): 8 passes, each in its own order.
    const heldOut = (shippedSplits(v).heldOut as number[]).map((i) => ds.records[i]);
    const records = [0, 1, 2, 3, 4, 5, 6, 7].flatMap((p) => shuffled(heldOut, 11 + p));
    expect(records.length / LIVE_DEFAULTS.courseSampleEvery).toBeGreaterThanOrEqual(300);
    const stage = courseInferenceStage({ reloadIntervalMs: 3_600_000 });
    const feed = async (stream: string, recs: readonly EnrichedCourse[]) => {
      for (let i = 0; i < recs.length; i += 100) {
        const batch = recs.slice(i, i + 100).map((r, k) => ({
          message: { type: 'course.enriched' as const, env: { streamId: stream, seq: i + k, capturedAt: Date.now() }, record: r as unknown as Record<string, unknown> },
          source: { timestamp: Date.now() } as BusMessage,
        }));
        const out = await stage.process(batch);
        expect(out.every((o) => Array.isArray(o))).toBe(true);
      }
    };
    try {
      await feed('courses-clean', records);
      await feed('courses-scaled', records.map((r) => ({ ...r, price: r.price * 2, contentDurationHours: r.contentDurationHours * 2 })));
    } finally {
      await stage.close?.();
    }
    const text = await registry.metrics();
    const ver = v.manifest.version;
    expect(text).toContain(`streamlens_monitor_drift{stream="courses-clean",model="course",version="${ver}"} 0`);
    expect(text).toContain(`streamlens_monitor_drift{stream="courses-scaled",model="course",version="${ver}"} 1`);
    expect(text).toContain(`streamlens_monitor_drifting_features{stream="courses-scaled",model="course",version="${ver}"} 2`);
    expect(text).toMatch(new RegExp(`streamlens_monitor_mean_confidence\\{stream="courses-clean",model="course",version="${ver}"\\} 0\\.\\d+`));
    const snap = liveMonitoring!.snapshot();
    const scaled = snap.find((m) => m.stream === 'courses-scaled')!;
    expect(scaled.history.at(-1)!.drifting.sort()).toEqual(['content_duration', 'price']);
    // Every numeric and categorical field of the course reference is monitored.
    expect(scaled.features.map((f) => f.name).sort()).toEqual(loadReference(v)!.features.map((f) => f.name).sort());
    expect(snap.find((m) => m.stream === 'courses-clean')!.history.every((p) => !p.drift)).toBe(true);
  }, 120_000);
});

describe('live image monitoring with backbone embeddings', () => {
  const photos = async (transform?: (rgb: Buffer, w: number, h: number) => Buffer) => {
    const v = resolveModel('animal');
    const s = parseImageFeatureSettings(v.manifest.features.settings);
    const out: { obs: NonNullable<ReturnType<typeof tensorObservation>>; input: Float32Array }[] = [];
    // In seeded random order: the split lists photos class by class, and a run of one class is a real
    // shift of the embedding (the principal components separate the classes).
    for (const f of shuffled(shippedSplits(v).heldOut as string[])) {
      let { rgb } = await decodeResizedRgb(f, s);
      if (transform) rgb = transform(rgb, s.width, s.height);
      out.push({ obs: tensorObservation({ type: 'video.tensor', meta: { shape: [s.height, s.width, 3] }, data: new Uint8Array(rgb) })!, input: normaliseRgb(rgb, s) });
    }
    return { v, out };
  };
  const flip = (rgb: Buffer, w: number, h: number): Buffer => {
    const o = Buffer.alloc(rgb.length);
    for (let y = 0; y < h; y++) o.set(rgb.subarray((h - 1 - y) * w * 3, (h - y) * w * 3), y * w * 3);
    return o;
  };
  it('every photo embedded: clean held-out photos do not drift; upside-down ones drift on the embedding features only', async () => {
    const clean = await photos();
    const flipped = await photos(flip);
    const live = new LiveMonitoring({ windowSize: 100, every: 50, imageSampleEvery: 1, embeddingSampleEvery: 1 });
    for (const p of clean.out) live.observeImage('cam-clean', clean.v, p.obs, p.input);
    for (const p of flipped.out) live.observeImage('cam-flipped', clean.v, p.obs, p.input);
    await live.close();
    const snap = live.snapshot();
    const c = snap.find((m) => m.stream === 'cam-clean')!;
    expect(c.features.map((f) => f.name)).toContain('emb_pc1');
    expect(c.history.every((p) => !p.drift)).toBe(true);
    const f = snap.find((m) => m.stream === 'cam-flipped')!;
    const drifting = f.history.at(-1)!.drifting;
    expect(drifting).toContain('emb_pc1');
    expect(drifting.every((n) => n.startsWith('emb_'))).toBe(true);
  }, 120_000);
  it('default sampling: one image in 4 monitored, one in 64 embedded; too few embeddings give no decision on those features', async () => {
    const { v, out } = await photos();
    const live = new LiveMonitoring({ windowSize: 51, every: 51 });
    let observed = 0;
    for (const p of out) {
      if (!live.sample('cam-default', 'image')) continue;
      observed++;
      live.observeImage('cam-default', v, p.obs, p.input);
    }
    await live.close();
    expect(observed).toBe(Math.ceil(out.length / 4)); // 203 photos: 51 monitored
    const r = live.snapshot().find((m) => m.stream === 'cam-default')!;
    expect(r.history).toHaveLength(1);
    const pc1 = r.features.find((x) => x.name === 'emb_pc1')!;
    expect(pc1.drift).toBe(false);
    expect(pc1.n).toBe(4);
    expect(r.features.find((x) => x.name === 'brightness')!.n).toBe(51);
    expect(r.features.find((x) => x.name === 'brightness')).toBeDefined();
    // 4 embedded images (monitored images 0, 16, 32, 48: photos 0, 64, 128, 192), fewer than the 30 a decision needs.
    expect(r.history[0].observations).toBe(51);
  }, 120_000);
});

const report = (name: string, r: unknown) => process.stderr.write(`[monitoring-sim] ${name} ${JSON.stringify(r)}\n`);

describe('30-minute simulated streams', () => {
  it('audio (2 windows/s): clean raises at most one alarm; 12 dB quieter is detected', async () => {
    const v = resolveModel('emotion');
    const ref = loadReference(v)!;
    const clean = observationsOf((await shippedBatch(v, 'heldOut', { predict: false })).observations);
    const shifted = observationsOf((await shippedBatch(v, 'heldOut', { transformPcm: (p) => p.map((x) => Math.round(x * 0.25)), predict: false })).observations);
    const c = simulateStream(ref, clean, { total: 3600, rate: 2 });
    report('audio clean', c);
    expect(c.falseAlarms).toBeLessThanOrEqual(1);
    const s = simulateStream(ref, clean, { total: 3600, rate: 2, shifted, switchAt: 1800 });
    report('audio gain -12 dB at 15 min', s);
    expect(s.detection).toBeDefined();
    expect(s.detection!.windows).toBeLessThanOrEqual(3);
  }, 60_000);
  it('image (1 photo/s): clean raises at most one alarm; darker photos are detected', async () => {
    const v = resolveModel('animal');
    const ref = loadReference(v)!;
    const clean = observationsOf((await shippedBatch(v, 'heldOut', { predict: false })).observations);
    const shifted = observationsOf((await shippedBatch(v, 'heldOut', { transformRgb: (rgb) => Buffer.from(rgb.map((x) => Math.round(x * 0.7))), predict: false })).observations);
    const c = simulateStream(ref, clean, { total: 1800, rate: 1 });
    report('image clean', c);
    expect(c.falseAlarms).toBeLessThanOrEqual(1);
    const s = simulateStream(ref, clean, { total: 1800, rate: 1, shifted, switchAt: 900 });
    report('image 30 % darker at 15 min', s);
    expect(s.detection).toBeDefined();
  }, 120_000);
  it('course (1 record/s): clean raises at most one alarm; prices x1.5 are detected', async () => {
    const v = resolveModel('course');
    const ref = loadReference(v)!;
    const clean = observationsOf((await shippedBatch(v, 'heldOut', { predict: false })).observations);
    const shifted = observationsOf((await shippedBatch(v, 'heldOut', { transformCourse: (r) => ({ ...r, price: r.price * 1.5 }), predict: false })).observations);
    const c = simulateStream(ref, clean, { total: 1800, rate: 1 });
    report('course clean', c);
    expect(c.falseAlarms).toBeLessThanOrEqual(1);
    const s = simulateStream(ref, clean, { total: 1800, rate: 1, shifted, switchAt: 900 });
    report('course prices x1.5 at 15 min', s);
    expect(s.detection).toBeDefined();
  }, 60_000);
});
