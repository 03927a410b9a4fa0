import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { wilsonInterval } from '../../src/analysis/proportion-interval.js';
import { capturedAtOfPredictionId, predictionId } from '../../src/bus/prediction-id.js';
import type { Prediction } from '../../src/bus/envelope.js';
import { PairedLabels } from '../../src/monitoring/paired-labels.js';
import { RecentPredictions } from '../../src/monitoring/recent-predictions.js';

const fixture = JSON.parse(readFileSync(join(__dirname, '..', 'fixtures', 'live-quality.json'), 'utf8')) as {
  wilson: { successes: number; trials: number; level: number; low: number; high: number }[];
  sequence: { labels: string[]; truth: string[]; pred: string[]; matrixLabels: string[]; accuracy: number; rolling100: number; confusion: number[][]; kappa: number; wilson: [number, number] };
};

describe('Wilson interval (statsmodels proportion_confint, method="wilson")', () => {
  it.each(fixture.wilson)('$successes / $trials at $level', (c) => {
    const r = wilsonInterval(c.successes, c.trials, c.level);
    expect(r.low).toBeCloseTo(c.low, 12);
    expect(r.high).toBeCloseTo(c.high, 12);
    expect(r.estimate).toBe(c.successes / c.trials);
  });
  it('refuses impossible counts', () => {
    expect(() => wilsonInterval(0, 0)).toThrow(/trials/);
    expect(() => wilsonInterval(5, 4)).toThrow(/successes/);
    expect(() => wilsonInterval(1.5, 4)).toThrow(/successes/);
  });
});

describe('PairedLabels: accuracy, rolling accuracy, confusion matrix and kappa of feedback (scikit-learn)', () => {
  const s = fixture.sequence;
  const pairs = new PairedLabels(s.labels, { rollingWindow: 100 });
  s.truth.forEach((t, i) => pairs.add(t, s.pred[i], 1000 + i));
  const sum = pairs.summary()!;
  it('matches accuracy_score, confusion_matrix, cohen_kappa_score and the Wilson interval', () => {
    expect(sum.n).toBe(s.truth.length);
    expect(sum.share).toBeCloseTo(s.accuracy, 12);
    expect(sum.rolling).toBeCloseTo(s.rolling100, 12);
    expect(sum.confusion.labels).toEqual(s.matrixLabels);
    expect(sum.confusion.counts).toEqual(s.confusion);
    expect(sum.kappa).toBeCloseTo(s.kappa, 12);
    expect(sum.interval.low).toBeCloseTo(s.wilson[0], 12);
    expect(sum.interval.high).toBeCloseTo(s.wilson[1], 12);
  });
  it('keeps a history point per pair with the accuracy so far', () => {
    expect(sum.history).toHaveLength(s.truth.length);
    expect(sum.history.at(-1)).toMatchObject({ at: 1000 + s.truth.length - 1, n: s.truth.length });
    expect(sum.history.at(-1)!.share).toBeCloseTo(s.accuracy, 12);
    expect(sum.history[0].share).toBe(s.truth[0] === s.pred[0] ? 1 : 0);
  });
  it('forgets the oldest pairs beyond keep, and thins the history by time when asked', () => {
    const small = new PairedLabels(['a', 'b'], { keep: 3, historyEveryMs: 10 });
    for (const [i, [x, y]] of [['a', 'a'], ['a', 'b'], ['b', 'b'], ['b', 'b'], ['a', 'b']].entries()) small.add(x, y, i * 4);
    const r = small.summary()!;
    expect(r.n).toBe(3); // the last three: (b,b) (b,b) (a,b)
    expect(r.agreeing).toBe(2);
    expect(r.confusion.counts).toEqual([[0, 1], [0, 2]]);
    expect(r.history.map((p) => p.at)).toEqual([0, 12]);
  });
});

function prediction(over: Partial<Prediction> = {}): Prediction & { id: string } {
  const base = { streamId: 'cam-1', kind: 'image' as const, seq: 7, label: 'dog', scores: { cat: 0.1, dog: 0.8, fox: 0.1 }, model: { name: 'animal', version: '2' }, latencyMs: {} };
  const p = { ...base, ...over };
  return { ...p, id: over.id ?? predictionId({ ...p, capturedAt: 1_750_000_000_000 + p.seq }) };
}

describe('prediction ids and the gateway memory of recent predictions', () => {
  it('an id is a function of the input (stream, kind, seq, capture time) and carries the capture time', () => {
    const a = predictionId({ streamId: 's', kind: 'audio', seq: 3, capturedAt: 1_750_000_000_123 });
    expect(predictionId({ streamId: 's', kind: 'audio', seq: 3, capturedAt: 1_750_000_000_123 })).toBe(a);
    expect(predictionId({ streamId: 's', kind: 'audio', seq: 4, capturedAt: 1_750_000_000_123 })).not.toBe(a);
    expect(predictionId({ streamId: 's', kind: 'audio', seq: 3, capturedAt: 1_750_000_000_124 })).not.toBe(a);
    expect(predictionId({ streamId: 't', kind: 'audio', seq: 3, capturedAt: 1_750_000_000_123 })).not.toBe(a);
    expect(capturedAtOfPredictionId(a)).toBe(1_750_000_000_123);
    expect(capturedAtOfPredictionId('not-an-id')).toBeUndefined();
  });

  it('remembers the latest predictions with the labels feedback may give; forgotten, unknown and malformed ids are told apart', () => {
    const recent = new RecentPredictions(3, 1_750_000_000_000);
    for (let seq = 0; seq < 5; seq++) recent.remember(prediction({ seq }));
    expect(recent.size).toBe(3);
    const kept = recent.lookup(prediction({ seq: 4 }).id);
    expect('found' in kept && kept.found).toMatchObject({ model: 'animal', version: '2', predicted: 'dog', streamId: 'cam-1', labels: ['cat', 'dog', 'fox', 'unknown'] });
    expect(recent.lookup(prediction({ seq: 0 }).id)).toMatchObject({ missing: 'forgotten' });
    expect(recent.lookup(prediction({ seq: 99 }).id)).toMatchObject({ missing: 'unknown' });
    expect(recent.lookup(prediction({ seq: 1, streamId: 'other' }).id)).toMatchObject({ missing: 'forgotten' }); // captured before the newest forgotten
    expect(recent.lookup('../../etc')).toMatchObject({ missing: 'malformed' });
    const audio = new RecentPredictions(3);
    audio.remember(prediction({ kind: 'audio', label: 'silence', scores: { calm: 0.5, sad: 0.5 } }));
    const a = audio.lookup(prediction({ kind: 'audio', label: 'silence', scores: { calm: 0.5, sad: 0.5 } }).id);
    expect('found' in a && a.found.labels).toEqual(['calm', 'sad', 'unknown', 'silence']);
  });
});
