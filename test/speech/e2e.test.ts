import { afterEach, describe, expect, it } from 'vitest';
import { EmbeddedBus } from '../../src/bus/embedded.js';
import { decodeMessage, type MessageOf } from '../../src/bus/envelope.js';
import { StageRunner } from '../../src/bus/stage-runner.js';
import { TOPICS } from '../../src/bus/topics.js';
import { audioFeaturesStageForModel } from '../../src/features/audio/stage.js';
import { openAudioFileSource } from '../../src/ingest/audio-file-source.js';
import { publishAudioSource } from '../../src/ingest/publish-audio.js';
import { loadClassifier } from '../../src/inference/classifier-loader.js';
import { ClassifierPool } from '../../src/inference/classifier-pool.js';
import { featureKeyOf } from '../../src/models/manifest.js';
import { resolveModel } from '../../src/models/model-repository.js';
import { tensorInferenceStage } from '../../src/inference/stage.js';
import { waitFor } from '../helpers/wait.js';
import { ravdessClips } from './helpers.js';

const stops: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const s of stops.splice(0).reverse()) await s();
});

describe('speech pipeline end to end', () => {
  it('real clip -> ffmpeg chunks -> features stage -> windows of the model\'s shape -> predictions', async () => {
    const version = resolveModel('emotion');
    const [frames, nFeatures] = version.manifest.inputs[0].shape.slice(1);
    const bus = new EmbeddedBus();
    const pool = new ClassifierPool(loadClassifier, { maxBatchSize: 16, maxWaitMs: 2, reloadIntervalMs: 0 });
    const features = new StageRunner(bus, audioFeaturesStageForModel('emotion'));
    const inference = new StageRunner(bus, tensorInferenceStage('audio', pool, { fallback: { model: 'emotion' } }));
    const windows: MessageOf<'audio.window'>[] = [];
    const predictions: MessageOf<'prediction'>[] = [];
    const reader = bus.consumer({ groupId: 'e2e-reader', topics: [TOPICS.audioWindows, TOPICS.predictions] });
    await features.start();
    await inference.start();
    await reader.run(async (b) => {
      for (const m of b.messages) {
        const msg = decodeMessage(m.value);
        if (msg.type === 'audio.window') windows.push(msg);
        if (msg.type === 'prediction') predictions.push(msg);
      }
    });
    stops.push(async () => {
      await reader.stop();
      await features.stop();
      await inference.stop();
      await pool.close();
      await bus.close();
    });
    const [clip] = ravdessClips([9], 1);
    const published = await publishAudioSource(bus, 'e2e', openAudioFileSource(clip));
    expect(published.chunks).toBeGreaterThan(30);
    await waitFor(() => windows.length > 0 && predictions.length === windows.length, 'a prediction per window', 60_000);
    for (const w of windows) {
      expect(w.meta.shape).toEqual([frames, nFeatures]);
      expect(w.data.length).toBe(frames * nFeatures);
      expect(w.meta.featureKey).toBe(featureKeyOf(version.manifest.features));
      expect(w.meta.endSec - w.meta.startSec).toBeCloseTo(2, 1);
    }
    for (const p of predictions) {
      expect(p.prediction.streamId).toBe('e2e');
      expect(p.prediction.model).toEqual({ name: 'emotion', version: version.manifest.version });
      if (p.prediction.speech) expect(version.manifest.labels).toContain(p.prediction.label);
      expect(p.prediction.latencyMs.endToEnd).toBeGreaterThanOrEqual(0);
    }
    expect(predictions.some((p) => p.prediction.speech)).toBe(true);
  });
});
