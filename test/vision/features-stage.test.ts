import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { EmbeddedBus } from '../../src/bus/embedded.js';
import { decodeMessage, encodeMessage, type Message } from '../../src/bus/envelope.js';
import { StageRunner } from '../../src/bus/stage-runner.js';
import { deadLetterTopic, TOPICS } from '../../src/bus/topics.js';
import { featureKeyOf } from '../../src/models/manifest.js';
import { imageFeaturesStage } from '../../src/features/image/stage.js';
import { parseImageFeatureSettings } from '../../src/features/image/settings.js';
import { normaliseRgb } from '../../src/features/image/preprocess.js';
import { animalPhoto } from './helpers.js';
import { DEFAULT_VIDEO_LAG_WATCH } from '../../src/ingest/publish.js';
import { tensorInferenceStage } from '../../src/inference/stage.js';
import type { ClassifierPool } from '../../src/inference/classifier-pool.js';

describe('features:image stage', () => {
  it('is the consumer group the video publishers watch for backpressure (with the image inference stage)', () => {
    const groups = DEFAULT_VIDEO_LAG_WATCH.map((w) => `${w.groupId} on ${w.topic}`);
    const features = imageFeaturesStage({ settings: { width: 8, height: 8 } });
    const inference = tensorInferenceStage('video', {} as ClassifierPool, { fallback: { model: 'animal' } });
    expect(groups).toEqual([`streamlens.${features.name} on ${features.input}`, `streamlens.${inference.name} on ${inference.input}`]);
  });

  it('turns video.frame JPEGs into video.tensor (JPEG carried along) and dead-letters bad frames', async () => {
    const bus = new EmbeddedBus();
    const settings = parseImageFeatureSettings({ width: 32, height: 32 });
    const runner = new StageRunner(bus, imageFeaturesStage({ settings }));
    await runner.start();
    const tensors: Message[] = [];
    const dlq: Record<string, string>[] = [];
    const reader = bus.consumer({ groupId: 't', topics: [TOPICS.videoTensors, deadLetterTopic(TOPICS.videoFrames)], fromBeginning: true });
    await reader.run(async (b) => {
      for (const m of b.messages) {
        if (b.topic === TOPICS.videoTensors) tensors.push(decodeMessage(m.value));
        else dlq.push(m.headers);
      }
    });
    const jpeg = readFileSync(animalPhoto('fox', 0));
    const frame = (seq: number, bytes: Buffer): Message => ({ type: 'video.frame', env: { streamId: 's1', seq, capturedAt: Date.now() }, meta: { ptsSec: seq / 5 }, jpeg: bytes });
    await bus.producer().send(TOPICS.videoFrames, [encodeMessage(frame(0, jpeg)), encodeMessage(frame(1, Buffer.from('garbage'))), encodeMessage(frame(2, jpeg.subarray(0, 3000)))]);
    const deadline = Date.now() + 15_000;
    while ((tensors.length < 1 || dlq.length < 2) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(tensors).toHaveLength(1);
    const t = tensors[0];
    if (t.type !== 'video.tensor') throw new Error('expected a video.tensor');
    expect(t.meta.shape).toEqual([32, 32, 3]);
    expect(t.meta.ptsSec).toBe(0);
    expect(t.meta.featureKey).toBe(featureKeyOf({ kind: 'image', settings: settings as unknown as Record<string, unknown> }));
    expect(t.jpeg?.equals(jpeg)).toBe(true);
    expect(t.env.stageTimes?.['features:image']).toBeGreaterThanOrEqual(0);
    expect(dlq.map((h) => h['dlq.reason']).sort(), JSON.stringify(dlq.map((h) => h['dlq.error']))).toEqual(['not-an-image', 'truncated']);
    expect(dlq.find((h) => h['dlq.reason'] === 'not-an-image')?.['dlq.error']).toMatch(/frame s1#1: not an image/);
    await reader.stop();
    await runner.stop();
    await bus.close();
  });

  it('sends rgb8 tensors (a quarter of the bytes) that normalise to exactly the f32 model input', async () => {
    const settings = parseImageFeatureSettings({ width: 64, height: 64, scale: 1 / 255, mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] });
    const jpeg = readFileSync(animalPhoto('cat', 1));
    const frame: Message = { type: 'video.frame', env: { streamId: 's', seq: 3, capturedAt: Date.now() }, meta: {}, jpeg };
    const input = { message: frame, source: { topic: TOPICS.videoFrames, partition: 0, offset: 0, key: 's', value: Buffer.alloc(0), headers: {}, timestamp: Date.now() } };
    const [[rgbOut]] = (await imageFeaturesStage({ settings }).process([input])) as { message: Message }[][];
    const [[f32Out]] = (await imageFeaturesStage({ settings, encoding: 'f32' }).process([input])) as { message: Message }[][];
    const rgb = decodeMessage(encodeMessage(rgbOut.message).value);
    const f32 = decodeMessage(encodeMessage(f32Out.message).value);
    if (rgb.type !== 'video.tensor' || f32.type !== 'video.tensor') throw new Error('expected video.tensor');
    expect(rgb.meta.encoding).toBe('rgb8');
    expect(rgb.data).toBeInstanceOf(Uint8Array);
    expect(f32.data).toBeInstanceOf(Float32Array);
    expect(rgb.data.byteLength * 4).toBe(f32.data.byteLength);
    expect(Array.from(normaliseRgb(rgb.data as Uint8Array, settings))).toEqual(Array.from(f32.data));
    expect(encodeMessage(rgbOut.message).value.length).toBeLessThan(encodeMessage(f32Out.message).value.length / 2);
  });
});
