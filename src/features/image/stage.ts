import type { Message, MessageOf } from '../../bus/envelope.js';
import { PermanentError, type StageDefinition, type StageInput, type StageResult } from '../../bus/stage-runner.js';
import { TOPICS } from '../../bus/topics.js';
import { featureKeyOf } from '../../models/manifest.js';
import { resolveModel } from '../../models/model-repository.js';
import { ImageDecodeError, decodeResizedRgb, preprocessImage } from './preprocess.js';
import { parseImageFeatureSettings, type ImageFeatureSettings, type ImageFeatureSettingsInput } from './settings.js';
import { DEFAULT_MODEL_BY_MEDIA } from '../../core/route.js';

export const IMAGE_FEATURES_STAGE = 'features:image';

export interface ImageFeaturesStageOptions {
  /** Feature settings (the animal model manifest's `features.settings`). */
  settings: ImageFeatureSettings | ImageFeatureSettingsInput;
  /** Key written into each tensor (default featureKeyOf({kind:'image', settings})), matched by the inference stage. */
  featureKey?: string;
  /** Carry the JPEG along in video.tensor (default true) so the dashboard can show the analysed frame. */
  carryJpeg?: boolean;
  /**
   * How tensors travel (not the model's colour encoding, which is settings.colour): 'rgb8' (default)
   * carries the resized, colour-encoded RGB bytes, normalised by the inference stage with the same
   * function and the model's settings (a quarter of the bytes of 'f32' on the bus; the model input is
   * identical); 'f32' carries the normalised Float32 input itself.
   */
  encoding?: 'rgb8' | 'f32';
  /** Frames decoded at once (default 4: sharp runs them on its libvips thread pool). */
  concurrency?: number;
  maxBatchSize?: number;
}

/**
 * The image features stage: `video.frame` (video.frames) -> `video.tensor` (video.tensors).
 * Each JPEG is decoded, resized and colour-encoded (settings.colour, the registry in
 * colour-encodings.ts) exactly as the training images were (decodeResizedRgb / preprocessImage with
 * the model's settings). A frame that is not a decodable image is dead-lettered with a reason
 * (not-an-image, truncated, too-large, ...), never retried.
 */
export function imageFeaturesStage(options: ImageFeaturesStageOptions): StageDefinition {
  const settings = parseImageFeatureSettings(options.settings);
  const featureKey = options.featureKey ?? featureKeyOf({ kind: 'image', settings: settings as unknown as Record<string, unknown> });
  const carry = options.carryJpeg ?? true;
  const encoding = options.encoding ?? 'rgb8';
  const concurrency = Math.max(1, options.concurrency ?? 4);

  const one = async (m: MessageOf<'video.frame'>): Promise<StageResult> => {
    try {
      const what = `frame ${m.env.streamId}#${m.env.seq}`;
      const data = encoding === 'rgb8' ? (await decodeResizedRgb(m.jpeg, settings, what)).rgb : (await preprocessImage(m.jpeg, settings, what)).data;
      const shape = [settings.height, settings.width, 3];
      const out: Message = {
        type: 'video.tensor',
        env: {
          streamId: m.env.streamId,
          seq: m.env.seq,
          capturedAt: m.env.capturedAt,
          ...(m.env.stageTimes ? { stageTimes: { ...m.env.stageTimes } } : {}),
          ...(m.env.route ? { route: m.env.route } : {}),
        },
        meta: { shape, ...(m.meta.ptsSec !== undefined ? { ptsSec: m.meta.ptsSec } : {}), featureKey, encoding },
        data: encoding === 'rgb8' ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength) : data,
        ...(carry ? { jpeg: m.jpeg } : {}),
      };
      return [{ topic: TOPICS.videoTensors, message: out }];
    } catch (e) {
      if (e instanceof ImageDecodeError) return new PermanentError(e.message, e.reason);
      throw e;
    }
  };

  return {
    name: IMAGE_FEATURES_STAGE,
    input: TOPICS.videoFrames,
    accepts: ['video.frame'],
    maxBatchSize: options.maxBatchSize ?? 32,
    async process(batch: StageInput[]): Promise<StageResult[]> {
      const results: StageResult[] = new Array(batch.length);
      let next = 0;
      const worker = async () => {
        while (next < batch.length) {
          const i = next++;
          results[i] = await one(batch[i].message as MessageOf<'video.frame'>);
        }
      };
      await Promise.all(Array.from({ length: Math.min(concurrency, batch.length) }, worker));
      return results;
    },
  };
}

/** The stage configured from the served animal model's manifest (models/<name>/<latest or pinned>). */
export function imageFeaturesStageForModel(name: string = DEFAULT_MODEL_BY_MEDIA.video, version?: string, root?: string, extra: Omit<ImageFeaturesStageOptions, 'settings'> = {}): StageDefinition {
  const { manifest } = resolveModel(name, version, root);
  if (manifest.features.kind !== 'image') throw new Error(`model ${name} v${manifest.version} is not an image model (features.kind = ${manifest.features.kind})`);
  return imageFeaturesStage({ ...extra, settings: manifest.features.settings as ImageFeatureSettingsInput, featureKey: featureKeyOf(manifest.features) });
}
