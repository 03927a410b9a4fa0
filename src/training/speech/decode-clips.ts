import { decodeAudioFile } from '../../ingest/audio-file-source.js';
import type { SpeechClip } from './datasets.js';

/**
 * Decodes each clip through the ffmpeg ingest (`concurrency` at a time, default 2) and maps its PCM
 * with `fn`; results keep the clips' order.
 */
export async function mapDecodedClips<T>(
  clips: readonly SpeechClip[],
  fn: (pcm: Int16Array, clip: SpeechClip, index: number) => T,
  o: { concurrency?: number; onProgress?: (done: number, total: number) => void } = {},
): Promise<T[]> {
  const out: T[] = new Array(clips.length);
  let next = 0;
  let done = 0;
  const worker = async () => {
    for (;;) {
      const i = next++;
      if (i >= clips.length) return;
      out[i] = fn(await decodeAudioFile(clips[i].path), clips[i], i);
      o.onProgress?.(++done, clips.length);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, o.concurrency ?? 2) }, worker));
  return out;
}
