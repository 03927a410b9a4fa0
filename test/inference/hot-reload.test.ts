import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { EmbeddedBus } from '../../src/bus/embedded.js';
import type { BusMessage } from '../../src/bus/bus.js';
import { decodeMessage, encodeMessage } from '../../src/bus/envelope.js';
import { StageRunner } from '../../src/bus/stage-runner.js';
import { TOPICS } from '../../src/bus/topics.js';
import { ClassifierPool } from '../../src/inference/classifier-pool.js';
import { featureKeyOf } from '../../src/models/manifest.js';
import { ModelServer } from '../../src/inference/model-server.js';
import { tensorInferenceStage } from '../../src/inference/stage.js';
import { waitFor } from '../helpers/wait.js';
import { loadLinearModel, publishLinearModel } from './linear-test-model.js';

const dirs: string[] = [];
const tmp = () => {
  const d = mkdtempSync(join(tmpdir(), 'models-'));
  dirs.push(d);
  return d;
};
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('model server', () => {
  it('serves the highest version and refuses a corrupt newer one, keeping the previous', async () => {
    const root = tmp();
    publishLinearModel(root, 'm', [[1, 0], [0, 1]]);
    const server = new ModelServer('m', loadLinearModel, { root });
    await server.start();
    expect(server.serving().version.manifest.version).toBe('1');
    const v2 = publishLinearModel(root, 'm', [[0, 1], [1, 0]]);
    writeFileSync(join(v2.dir, 'weights.json'), '[[9,9],[9,9]]'); // corrupt: hash no longer matches
    const v3dir = join(root, 'm', '3');
    publishLinearModel(root, 'm', [[1, 1], [1, 1]], '3');
    writeFileSync(join(v3dir, 'manifest.json'), '{"name":"m"'); // corrupt manifest
    expect(await server.checkForUpdate()).toBe(false);
    expect(server.serving().version.manifest.version).toBe('1');
    const refused = server.refused();
    expect(refused['2']).toMatch(/sha256/);
    expect(refused['3']).toMatch(/manifest\.json is not valid JSON/);
    await server.close();
  });

  it('falls back to a lower version at start when the highest is broken', async () => {
    const root = tmp();
    publishLinearModel(root, 'm', [[1, 0], [0, 1]]);
    const v2 = publishLinearModel(root, 'm', [[1, 0], [0, 1]]);
    rmSync(join(v2.dir, 'weights.json'));
    const server = new ModelServer('m', loadLinearModel, { root });
    await server.start();
    expect(server.serving().version.manifest.version).toBe('1');
    expect(server.refused()['2']).toMatch(/missing/);
    await server.close();
  });

  it('hot-reloads under load: every window gets exactly one prediction and versions switch at one point', async () => {
    const root = tmp();
    publishLinearModel(root, 'emotion', [[2, 0], [0, 2]]);
    const bus = new EmbeddedBus();
    const pool = new ClassifierPool(loadLinearModel, { maxBatchSize: 8, maxWaitMs: 1, reloadIntervalMs: 20, root });
    const runner = new StageRunner(bus, tensorInferenceStage('audio', pool, { fallback: { model: 'emotion' } }));
    await runner.start();
    const preds: BusMessage[] = [];
    const c = bus.consumer({ groupId: 'watch', topics: [TOPICS.predictions] });
    await c.run(async (b) => void preds.push(...b.messages));
    const producer = bus.producer();
    const featureKey = featureKeyOf({ kind: 'audio', settings: { dim: 2 } });
    const total = 300;
    for (let seq = 0; seq < total; seq++) {
      const rec = encodeMessage({
        type: 'audio.window',
        env: { streamId: 'mic-1', seq, capturedAt: Date.now() },
        meta: { shape: [2], startSec: seq * 0.5, endSec: seq * 0.5 + 3, speech: true, featureKey },
        data: Float32Array.from([1, 0]),
      });
      await producer.send(TOPICS.audioWindows, [rec]);
      if (seq === 100) publishLinearModel(root, 'emotion', [[0, 2], [2, 0]]);
      await new Promise((r) => setTimeout(r, 1));
    }
    await waitFor(() => preds.length >= total, 'all predictions', 30_000);
    await new Promise((r) => setTimeout(r, 100));
    await runner.stop();
    await c.stop();
    await pool.close();
    const decoded = preds.map((p) => decodeMessage(p.value)).map((m) => (m.type === 'prediction' ? m.prediction : null)!);
    expect(decoded).toHaveLength(total);
    expect(decoded.map((p) => p.seq)).toEqual([...Array(total).keys()]);
    const versions = decoded.map((p) => p.model.version);
    const switchAt = versions.indexOf('2');
    // v2 appears while window 100 is in flight, so the switch comes at or after the windows already
    // scored by then — exactly once, strictly inside the stream.
    expect(switchAt).toBeGreaterThan(0);
    expect(switchAt).toBeLessThan(total);
    expect(versions.slice(0, switchAt).every((v) => v === '1')).toBe(true);
    expect(versions.slice(switchAt).every((v) => v === '2')).toBe(true);
    // The label flips with the weights: version 1 says class0, version 2 says class1.
    expect(decoded[0].label).toBe('class0');
    expect(decoded[total - 1].label).toBe('class1');
  });
});
