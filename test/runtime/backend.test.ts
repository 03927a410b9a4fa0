import { existsSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { initTrainingBackend, wasmBinaryDir } from '../../src/inference/tfjs-backend.js';
import { seededInitializers } from '../../src/training/seeding.js';

describe('initTrainingBackend', () => {
  it('importing it leaves tfjs usable synchronously (wasm is only registered on demand)', () => {
    expect(tf.tensor([1, 2, 3]).sum().dataSync()[0]).toBe(6);
  });

  it('auto: skips the absent tfjs-node packages, picks wasm, logs one line naming it', async () => {
    const lines: string[] = [];
    const info = await initTrainingBackend('auto', { log: (l) => lines.push(l) });
    const nativeInstalled = info.backend === 'tensorflow';
    if (!nativeInstalled) {
      expect(info.backend).toBe('wasm');
      expect(info.skipped.join('\n')).toMatch(/@tensorflow\/tfjs-node-gpu not importable/);
      expect(info.skipped.join('\n')).toMatch(/@tensorflow\/tfjs-node not importable/);
    }
    expect(tf.getBackend()).toBe(info.backend);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(`tfjs training backend: ${info.backend}`);
  });

  it('loads the .wasm binaries from node_modules on disk', () => {
    expect(existsSync(join(wasmBinaryDir(), 'tfjs-backend-wasm-simd.wasm'))).toBe(true);
  });

  it('can be forced to cpu', async () => {
    const info = await initTrainingBackend('cpu', { log: () => {} });
    expect(info.backend).toBe('cpu');
    expect(tf.getBackend()).toBe('cpu');
  });

  it('seeded initializers give identical weights for identical seeds', () => {
    const build = (seed: number) => {
      const init = seededInitializers(seed);
      const m = tf.sequential({ layers: [tf.layers.dense({ inputShape: [3], units: 4, ...init.dense() }), tf.layers.reshape({ targetShape: [2, 2] }), tf.layers.lstm({ units: 2, ...init.recurrent() })] });
      return m.getWeights().map((w) => Array.from(w.dataSync()));
    };
    expect(build(1)).toEqual(build(1));
    expect(build(1)[0]).not.toEqual(build(2)[0]);
  });
});
