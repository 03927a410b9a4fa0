import type { IncomingMessage, ServerResponse } from 'node:http';
import { z } from 'zod';
import { qualityMetrics, type LiveQuality } from '../monitoring/live-quality.js';
import type { RecentPredictions } from '../monitoring/recent-predictions.js';
import { HttpError, parseJsonBody, readBody, sendJson } from './http-util.js';

/** Largest body of POST /api/feedback. */
export const MAX_FEEDBACK_BYTES = 4096;

const feedbackSchema = z
  .object({
    predictionId: z.string().min(1).max(64),
    label: z.string().min(1).max(128),
  })
  .strict();

function refuse(reason: string, status: number, message: string, details?: Record<string, unknown>): never {
  qualityMetrics.rejected.inc({ reason });
  throw new HttpError(status, message, details);
}

/**
 * /api/feedback. POST `{"predictionId","label"}`: the true label of a prediction this gateway showed;
 * 201 when counted, 200 when the same label came before (counted once), 409 when another label came
 * before, 404 for an id never shown, 410 for one no longer remembered, 400 for a label the model
 * cannot have (the answer lists the labels it takes). GET: accuracy and confusion matrix per model
 * version. Authorised (token, Origin / Sec-Fetch-Site on the write) by the gateway before it gets here.
 */
export async function handleFeedback(req: IncomingMessage, res: ServerResponse, recent: RecentPredictions, quality: LiveQuality, maxBytes = MAX_FEEDBACK_BYTES): Promise<void> {
  const method = req.method ?? 'GET';
  if (method === 'GET' || method === 'HEAD') {
    sendJson(res, 200, { remembered: recent.size, capacity: recent.capacity, versions: quality.snapshot() });
    return;
  }
  if (method !== 'POST') throw new HttpError(405, `${method} is not allowed on /api/feedback (GET, POST)`);
  const type = (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
  if (type !== 'application/json') refuse('bad-request', 415, 'POST /api/feedback takes Content-Type: application/json');
  let body: unknown;
  try {
    body = parseJsonBody(await readBody(req, maxBytes));
  } catch (e) {
    qualityMetrics.rejected.inc({ reason: 'bad-request' });
    throw e;
  }
  const parsed = feedbackSchema.safeParse(body);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => ({ field: i.path.join('.') || '(root)', message: i.message }));
    refuse('bad-request', 400, `invalid feedback: ${issues.map((i) => `${i.field}: ${i.message}`).join('; ')} (send {"predictionId": "<id of the prediction>", "label": "<true label>"})`, { issues });
  }
  const { predictionId, label } = parsed.data;
  const found = recent.lookup(predictionId);
  if ('missing' in found) {
    if (found.missing === 'malformed') refuse('malformed-id', 400, found.message);
    if (found.missing === 'forgotten') refuse('forgotten', 410, found.message);
    refuse('unknown-id', 404, found.message);
  }
  const p = found.found;
  if (!p.labels.includes(label)) {
    refuse('unknown-label', 400, `"${label}" is not a label of model ${p.model} v${p.version}; it takes: ${p.labels.join(', ')}`, { labels: p.labels });
  }
  const answer = { predictionId, model: p.model, version: p.version, stream: p.streamId, label, predicted: p.predicted, correct: label === p.predicted };
  if (p.feedback !== undefined) {
    if (p.feedback !== label) refuse('conflict', 409, `prediction ${predictionId} already has the true label "${p.feedback}" (each prediction is counted once)`, { label: p.feedback });
    qualityMetrics.duplicates.inc();
    sendJson(res, 200, { ...answer, counted: false, duplicate: true });
    return;
  }
  p.feedback = label;
  quality.record(p.model, p.version, label, p.predicted, p.labels);
  sendJson(res, 201, { ...answer, counted: true });
}
