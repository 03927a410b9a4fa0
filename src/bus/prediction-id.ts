import { createHash } from 'node:crypto';

/**
 * The id of a prediction, derived from its input's identity: stream id, kind, seq and `capturedAt`
 * (set once at ingest and carried through every stage). So it is the same in every process that
 * scores the input, the same when an at-least-once redelivery scores it again, and new when a stream
 * restarts (its seqs begin again, with new capture times). Needs no coordination between processes.
 *
 * Form: `<capturedAt in base 36>-<20 hex digits of SHA-256>`, e.g. `m3x9k2a1-9f1c0e…`. The leading
 * capture time lets the gateway tell a prediction it has forgotten (older than what it remembers:
 * 410) from one it never saw (404) without remembering every id.
 */
export function predictionId(input: { streamId: string; kind: string; seq: number; capturedAt?: number }): string {
  const at = Math.max(0, Math.floor(input.capturedAt ?? 0));
  const h = createHash('sha256').update(`${input.kind}\u0000${input.streamId}\u0000${input.seq}\u0000${at}`).digest('hex').slice(0, 20);
  return `${at.toString(36)}-${h}`;
}

export const PREDICTION_ID_PATTERN = /^[0-9a-z]{1,11}-[0-9a-f]{20}$/;

/** The capture time (epoch ms) a prediction id carries, or undefined when the text is not a prediction id. */
export function capturedAtOfPredictionId(id: string): number | undefined {
  if (!PREDICTION_ID_PATTERN.test(id)) return undefined;
  const at = parseInt(id.slice(0, id.indexOf('-')), 36);
  return Number.isSafeInteger(at) ? at : undefined;
}
