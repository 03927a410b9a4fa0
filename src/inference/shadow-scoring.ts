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
  /**
   * Items per shadow task (default 8): a served batch that arrives while the shadow runs waits for
   * at most this many shadow items to be scored, not for a whole batch of them.
   */
  chunkItems?: number;
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

/** The queue of a shadow setup (its own, or one made for it); the stage brackets its batches with it. */
export function shadowQueueOf(shadow: ShadowServing): ShadowQueue {
  let queue = shadow.queue ?? queues.get(shadow);
  if (!queue) queues.set(shadow, (queue = new ShadowQueue()));
  return queue;
}

/** Schedules the shadow scoring of one served batch's items (best effort, one queue task); returns at once. */
export function scoreShadow(shadow: ShadowServing, items: ShadowItem[], decide: Decide): void {
  const agreement = shadow.agreement ?? processAgreement;
  const byModel = new Map<string, ShadowItem[]>();
  for (const item of items) {
    if (!shadow.versions[item.model]) continue;
    const list = byModel.get(item.model);
    if (list) list.push(item);
    else byModel.set(item.model, [item]);
  }
  const chunk = shadow.chunkItems ?? 8;
  for (const [name, all] of byModel) {
    for (let i = 0; i < all.length; i += chunk) submitChunk(shadow, name, all.slice(i, i + chunk), decide, agreement);
  }
}

function submitChunk(shadow: ShadowServing, name: string, group: ShadowItem[], decide: Decide, agreement: ShadowAgreement): void {
  {
    const version = shadow.versions[name];
    const accepted = shadowQueueOf(shadow).submit(async () => {
      const t0 = performance.now();
      let server;
      try {
        server = await shadow.pool.server(name, version);
      } catch {
        agreement.skipped(name, version, 'unavailable', group.length);
        return;
      }
      try {
        await Promise.all(
          group.map(async (item) => {
            const model = server.forFeatureKey(item.featureKey);
            if (!model || model.version.manifest.version !== version) {
              agreement.skipped(name, version, 'feature-mismatch');
              return;
            }
            try {
              const d = decide(model, await shadow.pool.score(model, item.input, `${item.stage}:shadow`));
              agreement.record(name, item.servedVersion, version, item.servedLabel, d.label, model.version.manifest.labels);
            } catch {
              agreement.skipped(name, version, 'error');
            }
          }),
        );
      } finally {
        agreement.timeSpent(name, version, (performance.now() - t0) / 1000);
      }
    }, group.length);
    if (!accepted) agreement.skipped(name, version, 'busy', group.length);
  }
}
