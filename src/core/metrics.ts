import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { redactSecrets } from './redact.js';

/** The process-wide Prometheus registry; /metrics serves it. */
export const registry = new Registry();
collectDefaultMetrics({ register: registry, prefix: 'streamlens_process_' });

/** The exposition /metrics serves (gateway and worker ops thread): label values pass through the redaction of src/core/redact.ts. */
export async function metricsText(): Promise<string> {
  return redactSecrets(await registry.metrics());
}

const latencyBuckets = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export const stageMetrics = {
  messagesIn: new Counter({ name: 'streamlens_stage_messages_in_total', help: 'Messages consumed by a stage', labelNames: ['stage'], registers: [registry] }),
  messagesOut: new Counter({ name: 'streamlens_stage_messages_out_total', help: 'Messages published by a stage', labelNames: ['stage', 'topic'], registers: [registry] }),
  errors: new Counter({ name: 'streamlens_stage_errors_total', help: 'Processing errors (each attempt)', labelNames: ['stage', 'reason'], registers: [registry] }),
  deadLettered: new Counter({ name: 'streamlens_stage_dead_lettered_total', help: 'Messages sent to a dead-letter topic', labelNames: ['stage', 'reason'], registers: [registry] }),
  processingSeconds: new Histogram({ name: 'streamlens_stage_processing_seconds', help: 'Time to process one batch', labelNames: ['stage'], buckets: latencyBuckets, registers: [registry] }),
  endToEndSeconds: new Histogram({ name: 'streamlens_stage_end_to_end_latency_seconds', help: 'From capture timestamp to the stage publishing its output', labelNames: ['stage'], buckets: latencyBuckets, registers: [registry] }),
  batchSize: new Histogram({ name: 'streamlens_stage_batch_size', help: 'Messages per processed batch', labelNames: ['stage'], buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256, 512], registers: [registry] }),
  consumerLag: new Gauge({ name: 'streamlens_consumer_lag', help: 'Messages not yet committed by the stage consumer group', labelNames: ['stage', 'topic'], registers: [registry] }),
  cascadeItems: new Counter({
    name: 'streamlens_model_cascade_items_total',
    help: 'Items scored by a cascade model, by the stage that answered: fast, or full (escalated)',
    labelNames: ['model', 'version', 'answered_by'],
    registers: [registry],
  }),
  ingestRetries: new Counter({
    name: 'streamlens_ingest_send_retries_total',
    help: 'Sends of a source retried because the bus did not acknowledge them (broker down or unreachable)',
    labelNames: ['topic'],
    registers: [registry],
  }),
  ingestPaused: new Gauge({ name: 'streamlens_ingest_paused_sources', help: 'Sources paused now, waiting for the bus to acknowledge a send', registers: [registry] }),
  explanationBytes: new Gauge({
    name: 'streamlens_model_explanation_table_bytes',
    help: 'Bytes of precomputed explanation tables held per loaded model version (a hot reload keeps two versions)',
    labelNames: ['model', 'version'],
    registers: [registry],
  }),
  dropped: new Counter({ name: 'streamlens_dropped_total', help: 'Items dropped on purpose (live sources under backpressure, slow clients)', labelNames: ['where', 'reason'], registers: [registry] }),
};
