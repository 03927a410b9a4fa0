/**
 * Deterministic randomness for training. tfjs has no global seed: initializers, Dropout and
 * `model.fit`'s shuffle each draw from Math.random unless given a seed. `seededInitializers`
 * hands out initializers with seeds derived from one base seed (each call a new, reproducible
 * seed), `seededShuffle` / `createRng` give reproducible batch orders.
 */
import * as tf from '@tensorflow/tfjs';
import { mulberry32 } from '../core/random.js';

/** A tfjs-layers weight initializer (the type tf.initializers.* return). */
export type Initializer = ReturnType<typeof tf.initializers.zeros>;

/** The project's seeded PRNG (mulberry32, src/analysis/random.ts). Returns floats in [0, 1). */
export function createRng(seed: number): () => number {
  if (!Number.isFinite(seed)) throw new Error(`createRng: seed must be a finite number, got ${seed}`);
  return mulberry32(seed);
}

/** Fisher-Yates shuffle of a copy of `items`, reproducible for a given seed (or rng). */
export function seededShuffle<T>(items: readonly T[], seedOrRng: number | (() => number)): T[] {
  const rng = typeof seedOrRng === 'function' ? seedOrRng : createRng(seedOrRng);
  const out = items.slice();
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    const tmp = out[i] as T;
    out[i] = out[j] as T;
    out[j] = tmp;
  }
  return out;
}

/** A permutation of 0..n-1 as an Int32Array, reproducible for a given seed (or rng). */
export function seededPermutation(n: number, seedOrRng: number | (() => number)): Int32Array {
  if (!Number.isInteger(n) || n < 0) throw new Error(`seededPermutation: n must be a non-negative integer, got ${n}`);
  const rng = typeof seedOrRng === 'function' ? seedOrRng : createRng(seedOrRng);
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) out[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    const tmp = out[i] as number;
    out[i] = out[j] as number;
    out[j] = tmp;
  }
  return out;
}

export interface SeededInitializers {
  /** Next derived seed (for Dropout `seed`, tf.randomNormal, ...). */
  nextSeed(): number;
  glorotUniform(): Initializer;
  glorotNormal(): Initializer;
  heNormal(): Initializer;
  heUniform(): Initializer;
  leCunNormal(): Initializer;
  randomNormal(mean?: number, stddev?: number): Initializer;
  randomUniform(minval?: number, maxval?: number): Initializer;
  orthogonal(gain?: number): Initializer;
  /** kernel/recurrent initializers for a layer config: spread into `tf.layers.dense({...})` etc. */
  dense(): { kernelInitializer: Initializer; biasInitializer: Initializer };
  recurrent(): {
    kernelInitializer: Initializer;
    recurrentInitializer: Initializer;
    biasInitializer: Initializer;
  };
}

/**
 * Initializer factory whose every initializer gets its own seed derived from `baseSeed`, so a
 * model built with the same calls in the same order gets the same weights.
 *
 * ```ts
 * const init = seededInitializers(42);
 * tf.layers.conv2d({ filters: 8, kernelSize: 3, ...init.dense() });
 * ```
 */
export function seededInitializers(baseSeed: number): SeededInitializers {
  const rng = createRng(baseSeed);
  const nextSeed = (): number => Math.floor(rng() * 2147483647);
  const zeros = (): Initializer => tf.initializers.zeros();
  const self: SeededInitializers = {
    nextSeed,
    glorotUniform: () => tf.initializers.glorotUniform({ seed: nextSeed() }),
    glorotNormal: () => tf.initializers.glorotNormal({ seed: nextSeed() }),
    heNormal: () => tf.initializers.heNormal({ seed: nextSeed() }),
    heUniform: () => tf.initializers.heUniform({ seed: nextSeed() }),
    leCunNormal: () => tf.initializers.leCunNormal({ seed: nextSeed() }),
    randomNormal: (mean = 0, stddev = 0.05) => tf.initializers.randomNormal({ mean, stddev, seed: nextSeed() }),
    randomUniform: (minval = -0.05, maxval = 0.05) =>
      tf.initializers.randomUniform({ minval, maxval, seed: nextSeed() }),
    orthogonal: (gain = 1) => tf.initializers.orthogonal({ gain, seed: nextSeed() }),
    dense: () => ({ kernelInitializer: self.glorotUniform(), biasInitializer: zeros() }),
    recurrent: () => ({
      kernelInitializer: self.glorotUniform(),
      recurrentInitializer: self.orthogonal(),
      biasInitializer: zeros(),
    }),
  };
  return self;
}
