import { readFileSync } from 'node:fs';
import * as ort from 'onnxruntime-node';
import { exportToOnnx } from '../onnx-export/index.js';
import { normaliseRgb, decodeResizedRgb } from '../../features/image/preprocess.js';
import { DARKNET_INPUT_SETTINGS, imageFeatureKey, type ImageFeatureSettings } from '../../features/image/settings.js';
import { createRng } from '../seeding.js';
import { augmentedRgb, drawAugment, FLIP_ONLY, DEFAULT_AUGMENT, type AugmentOptions } from './augment.js';
import { DARKNET_FEATURE_SIZE, darknetFeatureModel, downsampledFeatureModel, loadDarknetTiny } from './darknet-backbone.js';
import { FeatureCache } from './feature-cache.js';
import { rgbToGray3 } from '../../features/image/colour-encodings.js';

/** Frozen-backbone outputs for one image variant: pooled 512-d features and the 1000 ImageNet logits. */
export interface BackboneOutputs {
  features: Float32Array;
  logits: Float32Array;
}

/** 'orig' = the image as served; 'flip' = mirrored; 'augN' = the N-th seeded random augmentation. */
export type ImageVariant = 'orig' | 'flip' | `aug${number}`;

/**
 * Darknet-Tiny feature extractor on onnxruntime-node (about 10x faster than tfjs wasm here): the
 * tfjs model is exported to ONNX in memory once, then run in batches.
 */
export class DarknetFeatureExtractor {
  private constructor(
    private readonly session: ort.InferenceSession,
    readonly settings: ImageFeatureSettings,
  ) {}

  /**
   * `downsample` > 1: the cascade's fast features (Darknet-Tiny on the input average-pooled by that
   * factor, inside the graph); those come without ImageNet logits (an empty array).
   */
  static async create(options: { threads?: number; settings?: ImageFeatureSettings; downsample?: number } = {}): Promise<DarknetFeatureExtractor> {
    const settings = options.settings ?? DARKNET_INPUT_SETTINGS;
    if (settings.width !== settings.height) throw new Error(`Darknet-Tiny features need a square input, got ${settings.width}x${settings.height}`);
    const factor = options.downsample ?? 1;
    const model =
      factor > 1
        ? downsampledFeatureModel(await loadDarknetTiny(undefined, settings.width / factor), factor)
        : darknetFeatureModel(await loadDarknetTiny(undefined, settings.width));
    const bytes = exportToOnnx(model, { graphName: 'darknet_tiny_features' });
    model.dispose();
    const session = await ort.InferenceSession.create(bytes, { intraOpNumThreads: options.threads ?? 1, interOpNumThreads: 1 });
    return new DarknetFeatureExtractor(session, settings);
  }

  /** Runs a batch of prepared inputs ([n, size, size, 3] Float32). */
  async run(batch: Float32Array, n: number): Promise<BackboneOutputs[]> {
    const s = this.settings;
    const input = new ort.Tensor('float32', batch, [n, s.height, s.width, 3]);
    const out = await this.session.run({ [this.session.inputNames[0]]: input });
    const feats = out[this.session.outputNames[0]].data as Float32Array;
    const logits = this.session.outputNames.length > 1 ? (out[this.session.outputNames[1]].data as Float32Array) : new Float32Array(0);
    const nLogits = logits.length / n;
    return Array.from({ length: n }, (_, i) => ({
      features: feats.slice(i * DARKNET_FEATURE_SIZE, (i + 1) * DARKNET_FEATURE_SIZE),
      logits: logits.slice(i * nLogits, (i + 1) * nLogits),
    }));
  }

  async release(): Promise<void> {
    await this.session.release();
  }
}

/** The RGB bytes of one variant of an image. */
export async function variantRgb(bytes: Buffer, variant: ImageVariant, s: ImageFeatureSettings, key: string, augment: AugmentOptions): Promise<Buffer> {
  if (variant === 'orig') return (await decodeResizedRgb(bytes, s)).rgb;
  if (variant === 'flip') return augmentedRgb(bytes, s, FLIP_ONLY);
  const k = Number(variant.slice(3));
  const rng = createRng(parseInt(key.slice(0, 8), 16) ^ Math.imul(k + 1, 0x9e3779b1));
  return augmentedRgb(bytes, s, drawAugment(rng, augment));
}

/**
 * Backbone outputs for every (file, variant), computed once and cached on disk under
 * `.cache/features/darknet-tiny-<settings>/`. Returns them in the order of `requests`.
 */
export async function backboneOutputsFor(
  requests: ReadonlyArray<{ file: string; variant: ImageVariant }>,
  options: {
    batchSize?: number;
    /** Ranges of the `augN` variants (default DEFAULT_AUGMENT); other ranges need `augmentTag`. */
    augment?: AugmentOptions;
    /** Names non-default `augment` ranges in the cache key of the `augN` variants (e.g. "s0.5"). */
    augmentTag?: string;
    /** 'gray': every variant converted to grayscale (luma in all three channels) before the backbone. Default 'rgb'. */
    colour?: 'rgb' | 'gray';
    settings?: ImageFeatureSettings;
    /** > 1: the cascade's fast features (see DarknetFeatureExtractor.create); no logits. */
    downsample?: number;
    onProgress?: (done: number, total: number, computed: number) => void;
  } = {},
): Promise<BackboneOutputs[]> {
  const s = options.settings ?? DARKNET_INPUT_SETTINGS;
  const factor = options.downsample ?? 1;
  if (options.augment && options.augment !== DEFAULT_AUGMENT && !options.augmentTag) throw new Error('backboneOutputsFor: non-default augment ranges need an augmentTag (their cache key)');
  const gray = options.colour === 'gray';
  const cache = new FeatureCache(`darknet-tiny-${factor > 1 ? `fast${factor}-` : ''}${gray ? 'gray-' : ''}${imageFeatureKey(s)}`);
  const cacheVariant = (v: ImageVariant) => (options.augmentTag && v.startsWith('aug') ? `${v}@${options.augmentTag}` : v);
  const nLogits = factor > 1 ? 0 : 1000;
  const per = DARKNET_FEATURE_SIZE + nLogits;
  const results: BackboneOutputs[] = new Array(requests.length);
  const pending: Array<{ index: number; key: string; variant: ImageVariant; bytes: Buffer }> = [];
  for (let i = 0; i < requests.length; i++) {
    const bytes = readFileSync(requests[i].file);
    const key = FeatureCache.contentKey(bytes);
    const hit = cache.get(key, cacheVariant(requests[i].variant), per);
    if (hit) results[i] = { features: hit.subarray(0, DARKNET_FEATURE_SIZE), logits: hit.subarray(DARKNET_FEATURE_SIZE) };
    else pending.push({ index: i, key, variant: requests[i].variant, bytes });
  }
  if (pending.length > 0) {
    const extractor = await DarknetFeatureExtractor.create({ settings: s, downsample: factor });
    const bs = options.batchSize ?? 16;
    const size = s.width * s.height * 3;
    try {
      for (let start = 0; start < pending.length; start += bs) {
        const chunk = pending.slice(start, start + bs);
        const batch = new Float32Array(chunk.length * size);
        const rgbs = await Promise.all(
          chunk.map(async (p) => {
            const rgb = await variantRgb(p.bytes, p.variant, s, p.key, options.augment ?? DEFAULT_AUGMENT);
            return gray ? rgbToGray3(rgb) : rgb;
          }),
        );
        rgbs.forEach((rgb, j) => normaliseRgb(rgb, s, batch, j * size));
        const outs = await extractor.run(batch, chunk.length);
        chunk.forEach((p, j) => {
          const both = new Float32Array(per);
          both.set(outs[j].features, 0);
          both.set(outs[j].logits, DARKNET_FEATURE_SIZE);
          cache.set(p.key, cacheVariant(p.variant), both);
          results[p.index] = outs[j];
        });
        options.onProgress?.(requests.length - pending.length + start + chunk.length, requests.length, start + chunk.length);
      }
    } finally {
      await extractor.release();
    }
  }
  return results;
}
