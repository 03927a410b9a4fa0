import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../../src/core/paths.js';
import { createOnnxSession } from '../../src/inference/onnx-session.js';
import { initTrainingBackend } from '../../src/inference/tfjs-backend.js';
import { exportToOnnx } from '../../src/training/onnx-export/index.js';
import { buildEfficientNetLite0, readConvertedWeights } from '../../src/training/image/efficientnet-lite.js';
import { randomLite0Weights } from '../helpers/efficientnet-weights.js';

/** The PyTorch state_dict converter (stdlib Python) and the tfjs EfficientNet-Lite0 built from a state_dict's names and shapes. */
const dir = mkdtempSync(join(tmpdir(), 'streamlens-effnet-'));
beforeAll(async () => {
  await initTrainingBackend('auto', { log: () => {} });
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('scripts/convert-torch-state-dict.py', () => {
  it('reads a legacy torch file: tensors in logical order whatever their strides, storage offsets, int64 buffers left out', () => {
    const pth = join(dir, 'tiny.pth');
    execFileSync('python3', [join(repoRoot, 'scripts/fixtures/legacy-torch-state-dict.py'), pth]);
    execFileSync('python3', [join(repoRoot, 'scripts/convert-torch-state-dict.py'), pth, join(dir, 'tiny')], { stdio: 'pipe' });
    const w = readConvertedWeights(join(dir, 'tiny'));
    expect(w.get('layer.weight')).toEqual({ shape: [2, 3], data: Float32Array.of(1, 2, 3, 4, 5, 6) });
    expect(w.get('layer.bias')).toEqual({ shape: [3], data: Float32Array.of(0.5, -1.5, 2.25) });
    expect(() => w.get('bn.num_batches_tracked')).toThrow(/no tensor 'bn.num_batches_tracked'/);
  });

  it('refuses a file that is not a legacy torch file, in one line', () => {
    const bad = join(dir, 'bad.pth');
    execFileSync('python3', ['-c', `import pickle; pickle.dump(1, open(${JSON.stringify(bad)}, 'wb'))`]);
    expect(() => execFileSync('python3', [join(repoRoot, 'scripts/convert-torch-state-dict.py'), bad, join(dir, 'bad')], { stdio: 'pipe' })).toThrow(/not a legacy torch file/);
  });
});

describe('EfficientNet-Lite0 in tfjs', () => {
  it('has the 16 MBConv blocks with 9 residual additions, outputs 1000 logits and 1280 pooled features, and exports to ONNX with the same outputs', async () => {
    const model = buildEfficientNetLite0(randomLite0Weights(), 64);
    expect(model.outputs.map((o) => o.shape)).toEqual([[null, 1000], [null, 1280]]);
    expect(model.layers.filter((l) => l.getClassName() === 'DepthwiseConv2D')).toHaveLength(16);
    expect(model.layers.filter((l) => l.getClassName() === 'Add')).toHaveLength(9);
    const x = Float32Array.from({ length: 64 * 64 * 3 }, (_, i) => ((i * 7919) % 255) / 255);
    const features = tf.model({ inputs: model.inputs, outputs: model.outputs[1] });
    const want = (features.predict(tf.tensor4d(x, [1, 64, 64, 3])) as tf.Tensor).dataSync();
    const session = await createOnnxSession(exportToOnnx(features, { graphName: 'effnet_test', docString: 'test' }), { rewrite: false });
    const got = (await session.run(x, [1, 64, 64, 3])).data;
    await session.dispose();
    let scale = 0;
    let diff = 0;
    want.forEach((v, i) => {
      scale = Math.max(scale, Math.abs(v));
      diff = Math.max(diff, Math.abs(v - got[i]));
    });
    expect(scale).toBeGreaterThan(0);
    expect(diff).toBeLessThan(1e-4 * Math.max(1, scale));
  }, 120_000);

  it('says which block does not match the architecture', () => {
    expect(() => buildEfficientNetLite0(randomLite0Weights(7), 64)).toThrow(/block 3 has a 7x7 depthwise kernel, expected 5x5/);
  });
});
