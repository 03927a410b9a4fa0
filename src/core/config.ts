import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { ConfigError } from './config-error.js';
import { jsonErrorSummary, redactValue } from './redact.js';
import { type Route, routeFor } from './route.js';

/**
 * One validated config file describes the bus, the gateway and the streams (Frigate-style).
 * Errors name the field: `streams.1.source.fps: Number must be greater than 0`.
 */
const streamId = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, 'letters, digits, ".", "_" and "-", at most 64');

/** Network schemes a URL source may use; file: and ffmpeg's local pseudo-protocols (concat:, subfile:, pipe:...) are refused. */
export const SOURCE_URL_SCHEMES = ['rtsp', 'rtsps', 'rtmp', 'rtmps', 'http', 'https', 'hls+http', 'hls+https', 'srt', 'udp', 'tcp'];
const sourceUrl = z
  .string()
  .url()
  .refine((u) => SOURCE_URL_SCHEMES.some((s) => u.toLowerCase().startsWith(`${s}://`)), {
    message: `the URL scheme must be one of ${SOURCE_URL_SCHEMES.join(', ')} (local files are file sources, confined to sources.allowedDirs)`,
  });
/** A camera: a number, a /dev/ path (Linux), or a device name (macOS, Windows); never another file. */
const cameraDevice = z
  .string()
  .min(1)
  .refine((d) => (/^\/dev\/[A-Za-z0-9._/-]+$/.test(d) && !d.split('/').includes('..')) || !/[\\/]/.test(d), {
    message: 'a camera device is a number, a /dev/ path or a device name',
  });

export const sourceSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('microphone'), device: z.string().default('default') }),
  z.object({ kind: z.literal('audio-file'), path: z.string().min(1), realtime: z.boolean().default(true), loop: z.boolean().default(false) }),
  z.object({ kind: z.literal('audio-url'), url: sourceUrl }),
  z.object({ kind: z.literal('camera'), device: cameraDevice, fps: z.number().positive().max(60).default(5) }),
  z.object({ kind: z.literal('video-file'), path: z.string().min(1), fps: z.number().positive().max(60).default(5), realtime: z.boolean().default(true), loop: z.boolean().default(false) }),
  z.object({ kind: z.literal('video-url'), url: sourceUrl, fps: z.number().positive().max(60).default(5) }),
  z.object({ kind: z.literal('images'), path: z.string().min(1), fps: z.number().positive().max(60).default(1), loop: z.boolean().default(false) }),
  /** shuffleSeed: play the rows in a seeded random order (stable per seed; each loop pass its own order). */
  z.object({ kind: z.literal('csv'), path: z.string().min(1), rate: z.number().positive().optional(), loop: z.boolean().default(false), shuffleSeed: z.number().int().nonnegative().optional() }),
  z.object({ kind: z.literal('jsonl'), path: z.string().min(1), rate: z.number().positive().optional() }),
  /** Fed by the browser or HTTP clients through the gateway. */
  z.object({ kind: z.literal('push'), media: z.enum(['audio', 'video', 'course']) }),
]);
export type SourceConfig = z.infer<typeof sourceSchema>;

export const streamSchema = z.object({
  id: streamId,
  source: sourceSchema,
  /** Model name in the model repository; defaults by media: emotion, animal, course. */
  model: z.string().min(1).max(128).optional(),
  /** Pin a model version; default: the highest that loads. */
  modelVersion: z.string().regex(/^\d+$/).optional(),
  /** Models scored beside the primary one (default: gender for audio; none for the others). */
  companions: z.array(z.string().min(1).max(128)).max(8).optional(),
});
export type StreamConfig = z.infer<typeof streamSchema>;

export const busSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('embedded'), partitions: z.number().int().positive().max(64).default(4) }),
  z.object({
    kind: z.literal('kafka'),
    brokers: z.array(z.string().regex(/^[^:\s]+:\d+$/, 'host:port')).min(1),
    partitions: z.number().int().positive().max(64).default(4),
    /** Prefix of every topic and consumer group on the broker (deployments sharing one cluster). */
    namespace: z.string().regex(/^[A-Za-z0-9._-]*$/, "letters, digits, '.', '_' and '-' only").max(100).default(''),
    /** Kafka client library; unset: STREAMLENS_KAFKA_CLIENT, else DEFAULT_KAFKA_CLIENT of src/bus/index.ts. */
    client: z.enum(['kafkajs', 'platformatic']).optional(),
    /** SASL credentials (KAFKA_SASL_MECHANISM / KAFKA_SASL_USERNAME / KAFKA_SASL_PASSWORD override); the password is never shown. */
    sasl: z
      .object({
        mechanism: z.enum(['plain', 'scram-sha-256', 'scram-sha-512']),
        username: z.string().min(1),
        password: z.string().min(1),
      })
      .optional(),
    /** TLS to the brokers (KAFKA_SSL=true). */
    ssl: z.boolean().optional(),
  }),
]);
export type BusConfig = z.infer<typeof busSchema>;

export const configSchema = z
  .object({
    bus: busSchema.default({ kind: 'embedded', partitions: 4 }),
    gateway: z
      .object({
        host: z.string().default('127.0.0.1'),
        port: z.number().int().min(0).max(65535).default(8080),
        /**
         * Required when host is not a loopback address; when set, every endpoint but /healthz needs it
         * (README, Security). STREAMLENS_TOKEN overrides.
         */
        token: z.string().min(16).optional(),
        /** A second token that opens /metrics only (for Prometheus). STREAMLENS_METRICS_TOKEN overrides. */
        metricsToken: z.string().min(16).optional(),
        allowedOrigins: z.array(z.string()).default([]),
      })
      .default({ host: '127.0.0.1', port: 8080, allowedOrigins: [] }),
    inference: z
      .object({
        maxBatchSize: z.number().int().positive().max(1024).default(16),
        maxWaitMs: z.number().min(0).max(1000).default(4),
        /** How often the model repository is checked for new versions (hot reload); 0 disables. */
        reloadIntervalMs: z.number().int().min(0).default(5000),
      })
      .default({ maxBatchSize: 16, maxWaitMs: 4, reloadIntervalMs: 5000 }),
    sources: z
      .object({
        /**
         * Directories file sources (audio-file, video-file, images, csv, jsonl) may read; paths are
         * resolved (symbolic links too) and must lie inside one. Default: the data directory and the
         * demo assets (src/core/source-paths.ts). STREAMLENS_SOURCE_DIRS overrides.
         */
        allowedDirs: z.array(z.string().min(1)).min(1).optional(),
      })
      .default({}),
    /**
     * Per model name: `shadow`, a version scored beside the served one on the same items by the
     * inference stages, after the served answer is published (never shown to users); the agreement
     * between the two is exported (src/monitoring/shadow-agreement.ts, docs/MONITORING.md).
     */
    models: z
      .record(
        z.string().regex(/^[a-z0-9_-]{1,64}$/, 'a model name: lower-case letters, digits, "_" and "-"'),
        z.object({ shadow: z.string().regex(/^\d+$/, 'a version number, e.g. "3"').optional() }).strict(),
      )
      .default({}),
    streams: z.array(streamSchema).default([]),
  })
  .superRefine((c, ctx) => {
    const seen = new Set<string>();
    c.streams.forEach((s, i) => {
      if (seen.has(s.id)) ctx.addIssue({ code: 'custom', path: ['streams', i, 'id'], message: `duplicate stream id "${s.id}"` });
      seen.add(s.id);
    });
  });
export type AppConfig = z.infer<typeof configSchema>;

export { ConfigError };

/** Shadow version per model name, from the config's `models.<name>.shadow`. */
export function shadowVersions(config: Pick<AppConfig, 'models'>): Record<string, string> {
  return Object.fromEntries(Object.entries(config.models ?? {}).flatMap(([name, m]) => (m.shadow ? [[name, m.shadow]] : [])));
}

/** Validates a parsed config object; the error lists every bad field by path. */
export function parseConfig(raw: unknown, origin = 'config'): AppConfig {
  const r = configSchema.safeParse(raw ?? {});
  if (!r.success) {
    const lines = r.error.issues.map((i) => `  ${i.path.join('.') || '(root)'}: ${i.message}`);
    throw new ConfigError(`${origin} is invalid:\n${lines.join('\n')}`);
  }
  return r.data;
}

/** The config as it may be printed: tokens, passwords and URL credentials shown as "***" (src/core/redact.ts). */
export function redactConfig(config: AppConfig): AppConfig {
  return redactValue(config, 16);
}

function yamlErrorSummary(e: unknown): string {
  const err = e as { code?: string; linePos?: { line: number; col: number }[]; message?: string };
  const where = err.linePos?.[0] ? ` at line ${err.linePos[0].line}, column ${err.linePos[0].col}` : '';
  const what = err.code ? err.code.toLowerCase().replace(/_/g, ' ') : (err.message ?? 'syntax error').split('\n')[0].replace(/:.*$/, '');
  return `${what}${where}`;
}

/** Reads a YAML or JSON config file. */
export function loadConfigFile(path: string): AppConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why =
      code === 'ENOENT' ? 'no such file; pass the path of an existing YAML or JSON config file (see streamlens.example.yaml)'
      : code === 'EISDIR' ? 'it is a folder; pass the config file inside it'
      : code === 'EACCES' ? 'permission denied; make it readable'
      : (e as Error).message;
    throw new ConfigError(`cannot read config ${path}: ${why}`);
  }
  let raw: unknown;
  try {
    raw = path.endsWith('.json') ? JSON.parse(text) : parseYaml(text);
  } catch (e) {
    // Not the parser's message: YAML's quotes the offending lines, which may hold a token or a password.
    throw new ConfigError(`${path} is not valid ${path.endsWith('.json') ? 'JSON' : 'YAML'}: ${path.endsWith('.json') ? jsonErrorSummary(e) : yamlErrorSummary(e)}`);
  }
  return parseConfig(raw, path);
}

export function mediaOf(source: SourceConfig): 'audio' | 'video' | 'course' {
  switch (source.kind) {
    case 'microphone':
    case 'audio-file':
    case 'audio-url':
      return 'audio';
    case 'camera':
    case 'video-file':
    case 'video-url':
    case 'images':
      return 'video';
    case 'csv':
    case 'jsonl':
      return 'course';
    case 'push':
      return source.media;
  }
}

export { DEFAULT_MODEL_BY_MEDIA } from './route.js';

/** The model route of a configured stream (carried in the envelope of each of its messages). */
export function streamRoute(config: StreamConfig): Route {
  return routeFor(mediaOf(config.source), config);
}
