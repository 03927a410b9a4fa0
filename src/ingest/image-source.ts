import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { IMAGE_EXTENSIONS } from './image-files.js';
import { type CapturedFrame, type FrameSource, isJpeg } from './frame.js';

export interface ImageSourceOptions {
  /** Frame rate used for ptsSec (and for pacing when `paced`); default 5. */
  fps?: number;
  /** Go through the images again and again until closed. */
  loop?: boolean;
  /** Recurse into sub-folders of a folder (default true). */
  recursive?: boolean;
  /**
   * Checks every image file found (returns its real path, or throws): streams pass the confinement of
   * src/core/source-paths.ts, so a link inside an allowed folder cannot lead out of it.
   */
  confine?: (file: string) => string;
}

/** Image files of a path: the file itself, or every image in a folder (sorted, numeric-aware). */
export function listImageFiles(path: string, recursive = true, confine?: (file: string) => string): string[] {
  let st;
  try {
    st = statSync(path);
  } catch {
    throw new Error(`image source ${path}: no such file or folder`);
  }
  if (st.isFile()) return [confine ? confine(path) : path];
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir).sort((a, b) => a.localeCompare(b, 'en', { numeric: true }))) {
      if (name.startsWith('.')) continue;
      const p = join(dir, name);
      const s = statSync(p);
      if (s.isDirectory()) {
        if (recursive) walk(p);
      } else if (IMAGE_EXTENSIONS.test(name)) out.push(confine ? confine(p) : p);
    }
  };
  walk(path);
  if (out.length === 0) throw new Error(`image source ${path}: the folder holds no images`);
  return out;
}

/** JPEG bytes of an image file: JPEGs as they are, other formats re-encoded (quality 90). */
export async function imageFileAsJpeg(file: string): Promise<Buffer> {
  const bytes = readFileSync(file);
  if (isJpeg(bytes)) return bytes;
  try {
    return await sharp(bytes, { failOn: 'truncated' }).rotate().jpeg({ quality: 90 }).toBuffer();
  } catch (e) {
    throw new Error(`image source ${file}: cannot read as an image (${(e as Error).message})`);
  }
}

/** Frames from a single image or an image folder (not live: consumers may go at their own pace). */
export function openImageSource(path: string, options: ImageSourceOptions = {}): FrameSource & { files: string[] } {
  const files = listImageFiles(path, options.recursive ?? true, options.confine);
  const fps = options.fps ?? 5;
  let closed = false;
  async function* frames(): AsyncGenerator<CapturedFrame> {
    let seq = 0;
    do {
      for (const file of files) {
        if (closed) return;
        const jpeg = await imageFileAsJpeg(file);
        yield { jpeg, seq, capturedAt: Date.now(), ptsSec: seq / fps };
        seq++;
      }
    } while (options.loop && !closed);
  }
  return {
    live: false,
    description: files.length === 1 ? `image ${files[0]}` : `image folder ${path} (${files.length} images)`,
    files,
    [Symbol.asyncIterator]: () => frames(),
    async close() {
      closed = true;
    },
  };
}
