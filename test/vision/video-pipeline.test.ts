import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EmbeddedBus } from '../../src/bus/embedded.js';
import { decodeMessage, type Prediction } from '../../src/bus/envelope.js';
import { StageRunner } from '../../src/bus/stage-runner.js';
import { TOPICS } from '../../src/bus/topics.js';
import { dataRoot } from '../../src/core/paths.js';
import { imageFeaturesStageForModel } from '../../src/features/image/stage.js';
import { loadClassifier } from '../../src/inference/classifier-loader.js';
import { ClassifierPool } from '../../src/inference/classifier-pool.js';
import { resolveModel } from '../../src/models/model-repository.js';
import { tensorInferenceStage } from '../../src/inference/stage.js';
import { publishVideoSource } from '../../src/ingest/publish.js';
import { ffmpegPath, openVideoSource } from '../../src/ingest/video-source.js';
import { preprocessImage } from '../../src/features/image/preprocess.js';
import { parseImageFeatureSettings } from '../../src/features/image/settings.js';
import { listImageDataset, splitDataset } from '../../src/ingest/image-dataset.js';

/** The shipped animal model (models/animal, latest version): these tests check what is served. */
const shipped = resolveModel('animal');
const training = shipped.manifest.training as { split: { seed: number }; referencePredictions?: Array<{ id: string; label: string; probs: number[] }> };

/** Held-out (test split) photos: never trained on. */
function heldOut(label: string, n: number): string[] {
  const ds = listImageDataset(join(dataRoot(), 'animals'));
  const split = splitDataset(ds.items, { seed: training.split.seed });
  return split.test.filter((i) => i.label === label).slice(0, n).map((i) => i.file);
}

describe('served animal model', () => {
  it('reproduces the trained model on held-out photos (manifest + ONNX + preprocessing)', async () => {
    const refs = training.referencePredictions ?? [];
    expect(refs.length).toBeGreaterThanOrEqual(3);
    const classifier = await loadClassifier(shipped);
    try {
      const settings = parseImageFeatureSettings(shipped.manifest.features.settings);
      const xs = await Promise.all(refs.map(async (r) => (await preprocessImage(join(dataRoot(), 'animals', r.id), settings)).data));
      const out = await classifier.predict(xs);
      refs.forEach((r, i) => {
        Array.from(out[i]).forEach((p, j) => expect(Math.abs(p - r.probs[j])).toBeLessThan(1e-4));
        expect(shipped.manifest.labels[out[i].indexOf(Math.max(...out[i]))]).toBe(r.label);
      });
    } finally {
      await classifier.close();
    }
  });
});

describe('a real video through ingest -> features -> inference on the embedded bus', () => {
  let dir: string;
  let video: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'streamlens-video-'));
    video = join(dir, 'cat-then-fox.mp4');
    const [cat] = heldOut('cat', 1);
    const [fox] = heldOut('fox', 1);
    // 2 s of a cat photo, then 2 s of a fox photo, 10 fps, 320 px wide.
    const args = ['-hide_banner', '-loglevel', 'error', '-loop', '1', '-t', '2', '-i', cat, '-loop', '1', '-t', '2', '-i', fox, '-filter_complex',
      '[0:v]scale=320:240,setsar=1,fps=10[a];[1:v]scale=320:240,setsar=1,fps=10[b];[a][b]concat=n=2:v=1[v]', '-map', '[v]', '-c:v', 'mpeg4', '-q:v', '3', '-y', video];
    const r = spawnSync(ffmpegPath(), args);
    if (r.status !== 0) throw new Error(`ffmpeg could not make the test video: ${r.stderr}`);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('labels the cat seconds "cat" and the fox seconds "fox"', async () => {
    const bus = new EmbeddedBus();
    const pool = new ClassifierPool(loadClassifier, { maxBatchSize: 8, maxWaitMs: 5, reloadIntervalMs: 0 });
    const features = new StageRunner(bus, imageFeaturesStageForModel('animal'));
    const inference = new StageRunner(bus, tensorInferenceStage('video', pool, { fallback: { model: 'animal' } }));
    const predictions: Prediction[] = [];
    const reader = bus.consumer({ groupId: 'test-predictions', topics: [TOPICS.predictions], fromBeginning: true });
    try {
      await features.start();
      await inference.start();
      await reader.run(async (batch) => {
        for (const m of batch.messages) {
          const msg = decodeMessage(m.value);
          if (msg.type === 'prediction') predictions.push(msg.prediction);
        }
      });
      const pub = publishVideoSource(bus, 'clip', openVideoSource(video, { fps: 5 }));
      const summary = await pub.done;
      expect(summary.error).toBeUndefined();
      expect(summary.published).toBeGreaterThanOrEqual(19);
      const deadline = Date.now() + 60_000;
      while (predictions.length < summary.published && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      expect(predictions).toHaveLength(summary.published);
      predictions.sort((a, b) => a.seq - b.seq);
      const at = (from: number, to: number) => predictions.filter((p) => p.window!.start >= from && p.window!.start < to);
      const cat = at(0, 1.8);
      const fox = at(2.2, 4);
      expect(cat.length).toBeGreaterThanOrEqual(8);
      expect(fox.length).toBeGreaterThanOrEqual(8);
      expect(cat.every((p) => p.label === 'cat')).toBe(true);
      expect(fox.every((p) => p.label === 'fox')).toBe(true);
      const first = predictions[0];
      expect(first.kind).toBe('image');
      expect(first.model).toEqual({ name: 'animal', version: shipped.manifest.version });
      expect(Object.keys(first.scores).sort()).toEqual(['cat', 'dog', 'fox']);
      expect(first.latencyMs.endToEnd).toBeGreaterThanOrEqual(0);
      expect(typeof first.extra?.frame).toBe('string'); // the analysed JPEG travels along to the dashboard
    } finally {
      await reader.stop();
      await features.stop();
      await inference.stop();
      await pool.close();
      await bus.close();
    }
  });
});
