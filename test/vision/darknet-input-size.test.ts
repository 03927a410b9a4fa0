import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { darknetInputSettings } from '../../src/features/image/settings.js';
import { DARKNET_FEATURE_SIZE, darknetFeatureModel, loadDarknetTiny } from '../../src/training/image/darknet-backbone.js';

describe('Darknet-Tiny at another input size (the transfer model\'s --input-size)', () => {
  it('loads with the requested square input and still yields 512 pooled features and 1000 logits', async () => {
    const model = await loadDarknetTiny(undefined, 96);
    expect(model.inputs[0].shape).toEqual([null, 96, 96, 3]);
    const features = darknetFeatureModel(model);
    const [f, logits] = features.predict(tf.randomUniform([2, 96, 96, 3], 0, 1, 'float32', 7)) as tf.Tensor[];
    expect(f.shape).toEqual([2, DARKNET_FEATURE_SIZE]);
    expect(logits.shape).toEqual([2, 1000]);
    expect(Number.isFinite((await f.data())[0])).toBe(true);
    tf.dispose([f, logits]);
    model.dispose();
  });

  it('refuses sizes its four stride-2 poolings cannot divide', async () => {
    await expect(loadDarknetTiny(undefined, 100)).rejects.toThrow(/multiple of 16/);
    expect(darknetInputSettings(128)).toMatchObject({ width: 128, height: 128, fit: 'fill' });
  });
});
