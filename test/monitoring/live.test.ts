import { describe, expect, it } from 'vitest';
import { registry } from '../../src/core/metrics.js';
import { resolveModel } from '../../src/models/model-repository.js';
import { LiveMonitoring } from '../../src/monitoring/live.js';
import { tensorObservation } from '../../src/monitoring/observations.js';
import { loadReference, shippedBatch } from '../../src/monitoring/shipped.js';
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

  it('tensorObservation reads an audio window message as the batch extractor does', () => {
    const data = new Float32Array(100 * 40).map((_, i) => (i < 50 * 40 ? Math.sin(i) : 0));
    const o = tensorObservation({ type: 'audio.window', meta: { shape: [100, 40], rmsDb: -30, speech: true }, data })!;
    expect(o.numeric.rms_db).toBe(-30);
    expect(o.categorical.speech).toBe('yes');
    expect(o.numeric.band0_spread).toBeGreaterThan(0.5);
  });
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
