import { z } from 'zod';
import { ConfigError } from './config-error.js';

/**
 * Every environment variable streamlens reads, in one schema: its name, type, default and meaning.
 * Read one with `envValue(name)`; a bad value is a ConfigError naming the variable and what it takes.
 * The config file and the CLI options come first where both exist (src/cli.ts applies the
 * variables to the validated config: PORT, HOST, tokens, Kafka).
 */
const onOff = (dflt: 'on' | 'off') =>
  z
    .string()
    .trim()
    .toLowerCase()
    .transform((v, ctx) => {
      if (v === '') return dflt === 'on';
      if (['on', '1', 'true', 'yes'].includes(v)) return true;
      if (['off', '0', 'false', 'no'].includes(v)) return false;
      ctx.addIssue({ code: 'custom', message: "must be 'on' or 'off'" });
      return z.NEVER;
    })
    .optional()
    .transform((v) => v ?? dflt === 'on');
const text = z.string().trim().optional().transform((v) => (v ? v : undefined));
const lowerChoice = <T extends string>(choices: readonly [T, ...T[]], dflt?: T) =>
  z
    .string()
    .trim()
    .toLowerCase()
    .optional()
    .transform((v, ctx) => {
      if (!v) return dflt;
      if ((choices as readonly string[]).includes(v)) return v as T;
      ctx.addIssue({ code: 'custom', message: `must be ${choices.map((c) => `'${c}'`).join(' or ')}` });
      return z.NEVER;
    });

export const ENVIRONMENT = {
  // Where things are
  STREAMLENS_DATA: { schema: text, help: 'development data folder (default ../shared/data beside the repository)' },
  STREAMLENS_SHARED_MODELS: { schema: text, help: 'shared pretrained models (default ../shared/models)' },
  STREAMLENS_MODELS: { schema: text, help: 'model repository (default models/)' },
  STREAMLENS_CACHE: { schema: text, help: 'caches: Kafka jars, extracted features (default .cache/)' },
  STREAMLENS_SOURCE_DIRS: { schema: text, help: 'folders file sources may read, separated by the path delimiter (overrides sources.allowedDirs)' },
  FFMPEG_PATH: { schema: text, help: 'ffmpeg binary (default: the one @ffmpeg-installer/ffmpeg ships)' },
  JAVA_HOME: { schema: text, help: 'Java for the Kafka broker script (default: java on PATH)' },
  // Gateway
  PORT: { schema: text, help: 'gateway port (overrides gateway.port)' },
  HOST: { schema: text, help: 'gateway address (overrides gateway.host)' },
  STREAMLENS_TOKEN: { schema: text, help: 'API / dashboard token (overrides gateway.token)' },
  STREAMLENS_METRICS_TOKEN: { schema: text, help: 'token that opens /metrics only (overrides gateway.metricsToken)' },
  // Bus
  KAFKA_BROKERS: { schema: text, help: 'host:port,... of the Kafka brokers (the Kafka bus when set)' },
  STREAMLENS_KAFKA_CLIENT: { schema: lowerChoice(['platformatic', 'kafkajs'] as const), help: 'Kafka client (overrides bus.client)' },
  STREAMLENS_KAFKA_NAMESPACE: { schema: text, help: 'prefix of topic and group names (overrides bus.namespace)' },
  KAFKA_SASL_MECHANISM: { schema: text, help: 'SASL mechanism: plain, scram-sha-256, scram-sha-512' },
  KAFKA_SASL_USERNAME: { schema: text, help: 'SASL user name' },
  KAFKA_SASL_PASSWORD: { schema: z.string().optional(), help: 'SASL password' },
  KAFKA_SSL: { schema: onOff('off'), help: 'TLS to the brokers (on/off)' },
  // Serving
  STREAMLENS_RUNTIME: { schema: lowerChoice(['onnx', 'tfjs'] as const, 'onnx'), help: "classifier runtime: onnxruntime-node or tfjs on wasm (default 'onnx')" },
  STREAMLENS_ORT_THREADS: { schema: z.coerce.number().int().positive().optional().transform((v) => v ?? 1), help: 'onnxruntime intra-op threads per session (default 1)' },
  STREAMLENS_ONNX_REWRITE: { schema: onOff('on'), help: "serve the verified GEMM rewrite of ONNX graphs (default 'on')" },
  STREAMLENS_EP: { schema: lowerChoice(['cpu', 'cuda'] as const, 'cpu'), help: "onnxruntime execution provider (default 'cpu')" },
  STREAMLENS_CASCADE: { schema: onOff('on'), help: "serve a version's cascade when it has one; 'off' serves its full model alone: a shorter tail, half the throughput (default 'on')" },
  STREAMLENS_MONITORING: { schema: onOff('on'), help: "live drift monitoring in the inference stages (default 'on')" },
  // Logs
  LOG_LEVEL: { schema: lowerChoice(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const), help: 'log level (debug and trace also print stack traces)' },
  LOG_FORMAT: { schema: lowerChoice(['pretty', 'json'] as const), help: 'log format (default pretty on a terminal, json otherwise)' },
} as const satisfies Record<string, { schema: z.ZodType; help: string }>;

export type EnvironmentName = keyof typeof ENVIRONMENT;
export type EnvironmentValue<K extends EnvironmentName> = z.output<(typeof ENVIRONMENT)[K]['schema']>;
type Env = Record<string, string | undefined>;

/** The validated value of one environment variable (its default when unset). */
export function envValue<K extends EnvironmentName>(name: K, env: Env = process.env): EnvironmentValue<K> {
  const raw = env[name];
  const r = (ENVIRONMENT[name].schema as z.ZodType).safeParse(raw);
  if (!r.success) {
    const why = r.error.issues.map((i) => i.message).join('; ');
    const shown = /TOKEN|PASSWORD/.test(name) ? '***' : JSON.stringify(raw);
    throw new ConfigError(`environment variable ${name}=${shown}: ${why} (${ENVIRONMENT[name].help})`);
  }
  return r.data as EnvironmentValue<K>;
}
