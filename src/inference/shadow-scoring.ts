import { shadowAgreement as processAgreement, type ShadowAgreement } from '../monitoring/shadow-agreement.js';
import type { ClassifierPool } from './classifier-pool.js';
import { ShadowQueue } from './shadow-queue.js';

/**
 * Shadow versions of the tensor models (config `models.<name>.shadow`): scored on the same input as
 * the served version, after the served answer was handed back, in a pool of their own (so they never
 * count as the served version), their answer compared with the served one and never published.
 */
export interface ShadowServing {
  /** Shadow version per model name. */
  versions: Record<string, string>;
  pool: ClassifierPool;
  queue?: ShadowQueue;
  agreement?: ShadowAgreement;
}

export interface ShadowItem {
  model: string;
  servedVersion: string;
  servedLabel: string;
  featureKey: string | undefined;
  input: Float32Array;
  stage: string;
}

/** Answer of a model for probabilities (the stage's `decide`: labels and unknown threshold of that version). */
export type Decide = (model: Parameters<ClassifierPool['score']>[0], probs: Float32Array) => { label: string };

const queues = new WeakMap<ShadowServing, ShadowQueue>();

/** Schedules the shadow scoring of one served item (best effort); returns at once. */
export function scoreShadow(shadow: ShadowServing, item: ShadowItem, decide: Decide): void {
  const version = shadow.versions[item.model];
  if (!version) return;
  const agreement = shadow.agreement ?? processAgreement;
  let queue = shadow.queue ?? queues.get(shadow);
  if (!queue) queues.set(shadow, (queue = new ShadowQueue()));
  const accepted = queue.submit(async () => {
    const t0 = performance.now();
    let server;
    try {
      server = await shadow.pool.server(item.model, version);
    } catch {
      agreement.skipped(item.model, version, 'unavailable');
      return;
    }
    const model = server.forFeatureKey(item.featureKey);
    if (!model || model.version.manifest.version !== version) {
      agreement.skipped(item.model, version, 'feature-mismatch');
      return;
    }
    try {
      const d = decide(model, await shadow.pool.score(model, item.input, `${item.stage}:shadow`));
      agreement.record(item.model, item.servedVersion, version, item.servedLabel, d.label, model.version.manifest.labels);
    } catch {
      agreement.skipped(item.model, version, 'error');
    } finally {
      agreement.timeSpent(item.model, version, (performance.now() - t0) / 1000);
    }
  });
  if (!accepted) agreement.skipped(item.model, version, 'busy');
}

/** The queue a shadow setup uses (tests and benchmarks wait for it to drain). */
export function shadowQueueOf(shadow: ShadowServing): ShadowQueue | undefined {
  return shadow.queue ?? queues.get(shadow);
}
