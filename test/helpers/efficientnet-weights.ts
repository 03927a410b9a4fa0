import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { EFFICIENTNET_LITE0_STAGES, type TorchWeights } from '../../src/training/image/efficientnet-lite.js';

/**
 * Seeded random tensors under EfficientNet-Lite0's state_dict names and shapes (batch-norm scales and
 * variances around 1), in the order torch lists them. `kernelOverride` gives block 3 another depthwise
 * kernel size (to test the architecture check).
 */
export function randomLite0StateDict(kernelOverride?: number): Array<{ name: string; shape: number[]; data: Float32Array }> {
  let seed = 7;
  const out: Array<{ name: string; shape: number[]; data: Float32Array }> = [];
  const put = (name: string, shape: number[], base = 0, scale = 0.2) =>
    out.push({ name, shape, data: Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => base + (((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32) - 0.5) * scale) });
  const bn = (p: string, c: number) => {
    put(`${p}.weight`, [c], 1);
    put(`${p}.bias`, [c], 0, 0.1);
    put(`${p}.running_mean`, [c], 0, 0.1);
    put(`${p}.running_var`, [c], 1, 0.1);
  };
  put('_conv_stem.weight', [32, 3, 3, 3]);
  bn('_bn0', 32);
  let block = 0;
  let cin = 32;
  for (const [expand, kernel, , out_, repeats] of EFFICIENTNET_LITE0_STAGES) {
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
      put(`${p}._project_conv.weight`, [out_, mid, 1, 1]);
      bn(`${p}._bn2`, out_);
      cin = out_;
    }
  }
  put('_conv_head.weight', [1280, 320, 1, 1]);
  bn('_bn1', 1280);
  put('_fc.weight', [1000, 1280], 0, 0.05);
  put('_fc.bias', [1000], 0, 0.05);
  return out;
}

/** The state dict as TorchWeights (in memory). */
export function randomLite0Weights(kernelOverride?: number): TorchWeights {
  const byName = new Map(randomLite0StateDict(kernelOverride).map((t) => [t.name, t]));
  return {
    get: (name) => {
      const t = byName.get(name);
      if (!t) throw new Error(`no ${name}`);
      return { shape: t.shape, data: t.data };
    },
  };
}

/** The state dict written as scripts/convert-torch-state-dict.py writes one (weights.json + weights.bin in `dir`). */
export function writeRandomLite0(dir: string): void {
  const index: Record<string, { shape: number[]; offset: number; length: number }> = {};
  const tensors = randomLite0StateDict();
  let offset = 0;
  for (const t of tensors) {
    index[t.name] = { shape: t.shape, offset, length: t.data.length };
    offset += t.data.length;
  }
  const all = new Float32Array(offset);
  for (const t of tensors) all.set(t.data, index[t.name].offset);
  writeFileSync(join(dir, 'weights.json'), JSON.stringify(index));
  writeFileSync(join(dir, 'weights.bin'), Buffer.from(all.buffer));
}
