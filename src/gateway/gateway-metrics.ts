import { Counter, Gauge } from 'prom-client';
import { registry } from '../core/metrics.js';

/** Gateway-specific metrics; what the gateway sheds on purpose also goes to streamlens_dropped_total. */
export const gatewayMetrics = {
  connections: new Gauge({ name: 'streamlens_gateway_ws_connections', help: 'Open WebSocket connections', labelNames: ['path'], registers: [registry] }),
  messagesSent: new Counter({ name: 'streamlens_gateway_ws_messages_sent_total', help: 'Messages sent to dashboard WebSocket clients', labelNames: ['type'], registers: [registry] }),
  rejected: new Counter({
    name: 'streamlens_gateway_rejected_total',
    help: 'Requests and connections refused (auth, origin, payload size, rate limit, bad input)',
    labelNames: ['where', 'reason'],
    registers: [registry],
  }),
  /** 1 for each model version the app serves (from app.stats().models), for Grafana's "model versions" panel. */
  modelVersion: new Gauge({ name: 'streamlens_model_version_info', help: 'Model versions currently served (value 1)', labelNames: ['model', 'version'], registers: [registry] }),
  ingestBytes: new Counter({ name: 'streamlens_gateway_ingest_bytes_total', help: 'Bytes accepted on /ws/ingest', labelNames: ['media'], registers: [registry] }),
};

/** Predictions the gateway saw again for an input it already showed (at-least-once repeats), not forwarded to clients. */
export const gatewayPredictionRepeats = new Counter({
  name: 'streamlens_gateway_prediction_repeats_total',
  help: 'Repeated predictions of an input already shown (at-least-once redelivery), dropped before the dashboard',
  labelNames: ['kind'],
  registers: [registry],
});
