import { stageMetrics } from '../core/metrics.js';
import { MicroBatcher } from './micro-batcher.js';
import { type LoadedModel, type ModelLoader, ModelServer } from './model-server.js';

/** A classifier takes one input tensor per item and returns class probabilities in manifest label order. */
export type Classifier = LoadedModel<Float32Array, Float32Array>;

export interface ClassifierPoolOptions {
  maxBatchSize: number;
  maxWaitMs: number;
  reloadIntervalMs: number;
  root?: string;
}

/**
 * The models a process serves, by name, each behind a ModelServer (hot reload) and a
 * MicroBatcher per loaded version (batching across streams).
 */
export class ClassifierPool {
  private readonly servers = new Map<string, Promise<ModelServer<Float32Array, Float32Array>>>();
  private readonly batchers = new WeakMap<Classifier, MicroBatcher<Float32Array, Float32Array>>();

  constructor(
    private readonly loader: ModelLoader<Float32Array, Float32Array>,
    private readonly options: ClassifierPoolOptions,
  ) {}

  /** The server of a model, started on first use. */
  server(name: string, pinnedVersion?: string): Promise<ModelServer<Float32Array, Float32Array>> {
    const key = pinnedVersion ? `${name}@${pinnedVersion}` : name;
    let s = this.servers.get(key);
    if (!s) {
      const server = new ModelServer(name, this.loader, {
        pinnedVersion,
        root: this.options.root,
        reloadIntervalMs: this.options.reloadIntervalMs,
      });
      s = server.start().then(() => server);
      // A model that fails to start may be fixed later: forget the failure.
      s.catch(() => this.servers.delete(key));
      this.servers.set(key, s);
    }
    return s;
  }

  /** Names (and pinned versions) of the servers started so far. */
  async started(): Promise<ModelServer<Float32Array, Float32Array>[]> {
    const out: ModelServer<Float32Array, Float32Array>[] = [];
    for (const p of this.servers.values()) {
      try {
        out.push(await p);
      } catch {
        /* not serving */
      }
    }
    return out;
  }

  /** Scores one item on a specific loaded model, batched with concurrent items for the same model. */
  score(model: Classifier, item: Float32Array, stage: string): Promise<Float32Array> {
    let b = this.batchers.get(model);
    if (!b) {
      b = new MicroBatcher((items) => model.predict(items), {
        // The manifest's maxBatchSize caps the pool's (Triton's max_batch_size).
        maxBatchSize: Math.min(this.options.maxBatchSize, model.version.manifest.maxBatchSize ?? Infinity),
        maxWaitMs: this.options.maxWaitMs,
        onBatch: (size) => stageMetrics.batchSize.observe({ stage: `${stage}:model` }, size),
      });
      this.batchers.set(model, b);
    }
    return b.submit(item);
  }

  async close(): Promise<void> {
    for (const s of await this.started()) await s.close();
    this.servers.clear();
  }
}
