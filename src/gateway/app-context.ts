import type { Bus } from '../bus/bus.js';
import type { Prediction } from '../bus/envelope.js';
import type { AppConfig, StreamConfig } from '../core/config.js';
import type { CourseRecommender } from '../recommend/recommender.js';
import type { EvaluationSummary } from '../inference/evaluation-summary.js';

/** What the gateway (HTTP/WS) needs from the running application. Implemented in src/app/app.ts. */
export type { StreamInfo } from '../ingest/stream-info.js';
import type { StreamInfo } from '../ingest/stream-info.js';

export interface ModelSummary {
  name: string;
  /** Version currently served (undefined when none loads, or when this process does not run the model's stage). */
  serving?: string;
  /**
   * Where `serving` comes from: 'this process' (the model servers here), or a sentence saying why this
   * process cannot tell (its inference stages run elsewhere: Kafka mode with --stages).
   */
  servingSource: string;
  versions: {
    version: string;
    task: string;
    created: string;
    metrics: Record<string, unknown>;
    /** accuracy, macro-F1, per-class recall with the held-out split they came from (src/inference/evaluation-summary.ts). */
    evaluation: EvaluationSummary[];
    /** Streams this version serves (their route names this model, or it as a companion). */
    streams: string[];
    report?: string;
    error?: string;
  }[];
}

export interface StageStats {
  stage: string;
  messagesIn: number;
  messagesOut: number;
  deadLettered: number;
  /** Messages per second over the last stats interval. */
  ratePerSec: number;
  batchSizeMean: number;
  lag: number;
}

export interface SystemStats {
  at: number;
  uptimeSec: number;
  bus: 'embedded' | 'kafka';
  stages: StageStats[];
  /** End-to-end latency from capture to prediction over the last minute, ms. */
  latencyMs: { p50: number; p99: number; count: number };
  dropped: number;
  deadLettered: number;
  models: { name: string; version?: string }[];
}

export interface IngestResult {
  accepted: number;
  rejected: number;
  errors: string[];
}

export interface AppContext {
  config: AppConfig;
  bus: Bus;
  streams: {
    list(): StreamInfo[];
    add(config: StreamConfig): Promise<StreamInfo>;
    remove(id: string): Promise<boolean>;
  };
  models: { list(): ModelSummary[]; reportPath(name: string, version: string): string | undefined };
  predictions: { subscribe(listener: (p: Prediction) => void): () => void };
  ingest: {
    /** PCM from the browser: Int16 mono at `sampleRate`, which must be PIPELINE_SAMPLE_RATE (the browser resamples; other rates are refused). */
    audio(streamId: string, pcm: Int16Array, sampleRate: number): Promise<void>;
    /** One JPEG frame from the browser. */
    frame(streamId: string, jpeg: Buffer): Promise<void>;
    /** Course records: JSON object, array, JSON lines or CSV text. */
    courses(streamId: string, contentType: string, body: Buffer): Promise<IngestResult>;
  };
  stats(): SystemStats;
  /** Course recommender (GET /api/recommendations); absent when the app runs without one. */
  recommender?: CourseRecommender;
  /**
   * Writes the course analysis report (what `streamlens analyze courses --out DIR` writes) into `dir`
   * (POST /api/reports/courses, so the dashboard's Course analysis tab works on a fresh start); absent
   * when this app has no course data to analyse.
   */
  writeCourseReport?(dir: string): Promise<void>;
}
