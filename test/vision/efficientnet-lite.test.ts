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
import { buildEfficientNetLite0, EFFICIENTNET_LITE0_STAGES, readConvertedWeights, type TorchWeights } from '../../src/training/image/efficientnet-lite.js';

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

/** Random weights under EfficientNet-Lite0's state_dict names and shapes (a kernel of `kernelOverride` in block 3 to test the check). */
function syntheticWeights(kernelOverride?: number): TorchWeights {
  let seed = 1;
  const rand = (n: number, scale: number) => Float32Array.from({ length: n }, () => (((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32) - 0.5) * scale);
  const t: Record<string, { shape: number[]; data: Float32Array }> = {};
  const put = (name: string, shape: number[], scale = 0.2) => (t[name] = { shape, data: rand(shape.reduce((a, b) => a * b, 1), scale) });
  const bn = (p: string, c: number) => {
    put(`${p}.weight`, [c], 0.2).data.forEach((_, i, a) => (a[i] += 1));
    put(`${p}.bias`, [c], 0.1);
    put(`${p}.running_mean`, [c], 0.1);
    put(`${p}.running_var`, [c], 0.1).data.forEach((_, i, a) => (a[i] += 1));
  };
  put('_conv_stem.weight', [32, 3, 3, 3]);
  bn('_bn0', 32);
  let block = 0;
  let cin = 32;
  for (const [expand, kernel, , out, repeats] of EFFICIENTNET_LITE0_STAGES) {
    for (let r = 0; r < repeats; r++, block++) {
      const p = `_blocks.${block}`;
      const mid = cin * expand;
      if (expand !== 1) {
        put(`${p}._expand_conv.weight`, [mid, cin, 1, 1]);
        bn(`${p}._bn0`, mid);
      }
      const k = block === 3 && kernelOverride ? kernelOverride : kernel;
      put(`${p}._depthwise_conv.weight`, [mid, 1, k, k]);
      bn(`${p}._bn1`, mid);
      put(`${p}._project_conv.weight`, [out, mid, 1, 1]);
      bn(`${p}._bn2`, out);
      cin = out;
    }
  }
  put('_conv_head.weight', [1280, 320, 1, 1]);
  bn('_bn1', 1280);
  put('_fc.weight', [1000, 1280], 0.05);
  put('_fc.bias', [1000], 0.05);
  return {
    get: (name) => {
      if (!t[name]) throw new Error(`no ${name}`);
      return t[name];
    },
  };
}

describe('EfficientNet-Lite0 in tfjs', () => {
  it('has the 16 MBConv blocks with 9 residual additions, outputs 1000 logits and 1280 pooled features, and exports to ONNX with the same outputs', async () => {
    const model = buildEfficientNetLite0(syntheticWeights(), 64);
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
    expect(() => buildEfficientNetLite0(syntheticWeights(7), 64)).toThrow(/block 3 has a 7x7 depthwise kernel, expected 5x5/);
  });
});
