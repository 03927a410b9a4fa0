import { z } from 'zod';

/**
 * A stream's model route: which models serve it. Chosen once at ingest from the stream's config
 * (routeOf) and carried in the envelope of every message of the stream through every stage, so a
 * worker in any process serves the stream exactly as the process that added it asked.
 */
export const routeSchema = z.object({
  /** Model name in the model repository. */
  model: z.string().min(1).max(128),
  /** Pinned version; absent: the highest version that loads. */
  version: z.string().regex(/^\d+$/).optional(),
  /** Models scored beside the primary one (e.g. speaker gender beside emotion); results go to prediction.extra[name]. */
  companions: z.array(z.string().min(1).max(128)).max(8).optional(),
});
export type Route = z.infer<typeof routeSchema>;

export type Media = 'audio' | 'video' | 'course';

/** The model a stream of this media is served by when its config names none. */
export const DEFAULT_MODEL_BY_MEDIA = { audio: 'emotion', video: 'animal', course: 'course' } as const satisfies Record<Media, string>;

/** Companion models scored beside the primary one when the config names none (skipped when not in the repository). */
export const DEFAULT_COMPANIONS_BY_MEDIA: Record<Media, readonly string[]> = { audio: ['gender'], video: [], course: [] };

/** The route of a message that carries none (sent by a producer older than routes). */
export function defaultRoute(media: Media): Route {
  const companions = DEFAULT_COMPANIONS_BY_MEDIA[media];
  return Object.freeze({ model: DEFAULT_MODEL_BY_MEDIA[media], ...(companions.length ? { companions: [...companions] } : {}) });
}

/** A stream's route from its config fields; frozen, so envelopes can cache its encoding by identity. */
export function routeFor(media: Media, fields: { model?: string; modelVersion?: string; companions?: string[] }): Route {
  const companions = fields.companions ?? DEFAULT_COMPANIONS_BY_MEDIA[media];
  return Object.freeze({
    model: fields.model ?? DEFAULT_MODEL_BY_MEDIA[media],
    ...(fields.modelVersion ? { version: fields.modelVersion } : {}),
    ...(companions.length ? { companions: [...companions] } : {}),
  });
}
