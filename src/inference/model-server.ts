import { join } from 'node:path';
import type { Logger } from 'pino';
import { childLogger } from '../core/logger.js';
import { type ModelVersion, listVersions, modelsRoot, readVersion } from '../models/model-repository.js';

/** A model version loaded, checked and warmed up, ready to serve. */
export interface LoadedModel<I, O> {
  readonly version: ModelVersion;
  /** Identifies the feature settings the model needs; inputs made with other settings are refused. */
  readonly featureKey: string;
  predict(items: I[]): Promise<O[]>;
  close(): Promise<void>;
}

/** Loads one version; throws (ModelLoadError or similar) when it is corrupt or cannot be served. */
export type ModelLoader<I, O> = (version: ModelVersion) => Promise<LoadedModel<I, O>>;

export interface ModelServerOptions {
  pinnedVersion?: string;
  root?: string;
  /** Poll the repository for new versions this often; 0 disables hot reload. */
  reloadIntervalMs?: number;
}

/**
 * Serves one named model from the repository with hot reload: a new version is loaded,
 * validated and warmed up beside the current one, then swapped in atomically between batches.
 * A version that fails to load is refused with its error and the current one keeps serving.
 * The previous version stays loaded so inputs already made with its feature settings are
 * still scored by it (nothing in flight is dropped).
 */
export class ModelServer<I, O> {
  private current?: LoadedModel<I, O>;
  private previous?: LoadedModel<I, O>;
  private timer?: NodeJS.Timeout;
  private readonly failed = new Map<string, string>();
  private readonly log: Logger;
  private checking = false;
  private readonly listeners = new Set<(m: LoadedModel<I, O>) => void>();

  constructor(
    readonly name: string,
    private readonly loader: ModelLoader<I, O>,
    private readonly options: ModelServerOptions = {},
  ) {
    this.log = childLogger({ model: name });
  }

  private get root(): string {
    return this.options.root ?? modelsRoot();
  }

  /** Loads the pinned version, or the highest version that loads (lower ones are tried when the highest is refused). */
  async start(): Promise<LoadedModel<I, O>> {
    const candidates = this.options.pinnedVersion ? [this.options.pinnedVersion] : listVersions(this.name, this.root);
    if (candidates.length === 0) throw new Error(`model "${this.name}" has no versions in ${this.root} (train one with \`streamlens train\`)`);
    const errors: string[] = [];
    for (const v of candidates) {
      try {
        this.current = await this.load(v);
        break;
      } catch (e) {
        errors.push(`v${v}: ${(e as Error).message}`);
        this.failed.set(v, (e as Error).message);
        this.log.error({ version: v, err: (e as Error).message }, 'model version refused');
      }
    }
    if (!this.current) throw new Error(`model "${this.name}": no version could be loaded:\n  ${errors.join('\n  ')}`);
    const interval = this.options.reloadIntervalMs ?? 0;
    if (interval > 0 && !this.options.pinnedVersion) {
      this.timer = setInterval(() => void this.checkForUpdate(), interval);
      this.timer.unref();
    }
    this.log.info({ version: this.current.version.manifest.version }, 'serving');
    return this.current;
  }

  private async load(version: string): Promise<LoadedModel<I, O>> {
    const v = readVersion(join(this.root, this.name, version));
    return this.loader(v);
  }

  /** The model that new inputs go to. */
  serving(): LoadedModel<I, O> {
    if (!this.current) throw new Error(`model "${this.name}" is not loaded`);
    return this.current;
  }

  /** The loaded model whose feature settings produced `featureKey` (current first, then previous). */
  forFeatureKey(featureKey: string | undefined): LoadedModel<I, O> | undefined {
    const c = this.serving();
    if (featureKey === undefined || c.featureKey === featureKey) return c;
    if (this.previous?.featureKey === featureKey) return this.previous;
    return undefined;
  }

  onSwap(listener: (m: LoadedModel<I, O>) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Versions that were refused, with the reason. */
  refused(): Record<string, string> {
    return Object.fromEntries(this.failed);
  }

  /** Looks for a higher version; loads and swaps it in if it loads. Returns true on a swap. */
  async checkForUpdate(): Promise<boolean> {
    if (this.checking || !this.current) return false;
    this.checking = true;
    try {
      const currentVersion = Number(this.current.version.manifest.version);
      const newer = listVersions(this.name, this.root).filter((v) => Number(v) > currentVersion && !this.failed.has(v));
      for (const v of newer) {
        try {
          const next = await this.load(v);
          const old = this.previous;
          this.previous = this.current;
          this.current = next;
          await old?.close();
          this.log.info({ from: this.previous.version.manifest.version, to: v }, 'hot-reloaded model version');
          for (const l of this.listeners) l(next);
          return true;
        } catch (e) {
          this.failed.set(v, (e as Error).message);
          this.log.error({ version: v, err: (e as Error).message }, 'new model version refused; previous version keeps serving');
        }
      }
      return false;
    } finally {
      this.checking = false;
    }
  }

  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.current?.close();
    await this.previous?.close();
    this.current = this.previous = undefined;
  }
}
