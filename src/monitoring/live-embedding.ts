import type { ModelVersion } from '../models/model-repository.js';
import type { InferenceSession } from '../inference/session.js';
import { createEmbeddingSession, embeddingFeatures, type EmbeddingSummary } from './embedding.js';

/**
 * Backbone embeddings of sampled live photos: one embedding session per model version (opened on
 * first use; a version whose graph cannot be cut gets none and is not retried), one photo at a time.
 */
export class LiveEmbedder {
  private readonly sessions = new Map<string, Promise<InferenceSession | null>>();

  /** The summary's features of the photo's model input, or undefined when no embedding session can serve this version. */
  async features(v: ModelVersion, summary: EmbeddingSummary, input: Float32Array): Promise<Record<string, number> | undefined> {
    let s = this.sessions.get(v.dir);
    if (!s) this.sessions.set(v.dir, (s = createEmbeddingSession(v).then((e) => e.session, () => null)));
    const session = await s;
    if (!session) return undefined;
    const itemShape = v.manifest.inputs[0].shape.slice(1);
    const r = await session.run(input, [1, ...itemShape]);
    return embeddingFeatures(summary, r.data);
  }

  async close(): Promise<void> {
    const all = [...this.sessions.values()];
    this.sessions.clear();
    for (const s of all) await (await s)?.dispose();
  }
}
