import { INGEST_SAMPLE_RATE, type AudioChunk, type AudioSource } from './audio-chunk.js';

/**
 * Plays a source again and again as ONE continuous stream (demo loops): each pass is opened
 * afresh, and its chunks' `seq` and `startSec` continue where the previous pass ended, so
 * downstream stages see an unbroken stream (no restarted sequence numbers, no final marker
 * between passes). Ends when closed, or when a pass yields nothing (an empty input would
 * otherwise spin).
 */
export function loopAudioSource(open: () => AudioSource): AudioSource {
  let current: AudioSource | undefined;
  let closed = false;
  const first = open();
  return {
    kind: first.kind,
    realtime: first.realtime,
    description: `${first.description} (looped)`,
    async close() {
      closed = true;
      await current?.close();
    },
    async *[Symbol.asyncIterator](): AsyncIterator<AudioChunk> {
      let seqOffset = 0;
      let secOffset = 0;
      let pass: AudioSource | undefined = first;
      while (!closed) {
        current = pass ?? open();
        pass = undefined;
        let last: AudioChunk | undefined;
        for await (const c of current) {
          if (closed) return;
          last = c;
          yield { ...c, seq: c.seq + seqOffset, startSec: c.startSec + secOffset };
        }
        if (!last) return;
        seqOffset += last.seq + 1;
        secOffset += last.startSec + last.pcm.length / INGEST_SAMPLE_RATE;
      }
    },
  };
}
