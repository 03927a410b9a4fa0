import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cacheRoot } from '../../core/paths.js';

/**
 * On-disk cache of per-image feature vectors: `.cache/features/<namespace>/<sha1 of bytes>-<variant>.f32`.
 * Keyed by the image's content, so renamed or moved files still hit and changed files miss.
 */
export class FeatureCache {
  readonly dir: string;
  constructor(namespace: string, root = join(cacheRoot(), 'features')) {
    this.dir = join(root, namespace);
    mkdirSync(this.dir, { recursive: true });
  }

  static contentKey(bytes: Buffer): string {
    return createHash('sha1').update(bytes).digest('hex');
  }

  private path(key: string, variant: string): string {
    return join(this.dir, `${key}-${variant}.f32`);
  }

  get(key: string, variant: string, expectedLength: number): Float32Array | undefined {
    const p = this.path(key, variant);
    if (!existsSync(p)) return undefined;
    const b = readFileSync(p);
    if (b.length !== expectedLength * 4) return undefined;
    return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.length));
  }

  set(key: string, variant: string, values: Float32Array): void {
    const p = this.path(key, variant);
    const tmp = `${p}.${process.pid}.tmp`;
    writeFileSync(tmp, Buffer.from(values.buffer, values.byteOffset, values.byteLength));
    renameSync(tmp, p);
  }
}
