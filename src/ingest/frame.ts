/** One captured frame as it leaves a source: JPEG bytes plus when and where in the stream it was taken. */
export interface CapturedFrame {
  jpeg: Buffer;
  /** 0, 1, 2, ... in capture order. */
  seq: number;
  /** Epoch ms when the frame was captured (read from the source). */
  capturedAt: number;
  /** Seconds since the stream started. */
  ptsSec: number;
}

/** A stream of frames. `live` sources (cameras, network streams) run in real time and cannot be paused. */
export interface FrameSource extends AsyncIterable<CapturedFrame> {
  readonly live: boolean;
  /** Human-readable origin for logs and errors (never includes credentials). */
  readonly description: string;
  /** Stops the source (kills ffmpeg); a pending iteration ends. */
  close(): Promise<void>;
}

export function isJpeg(b: Buffer): boolean {
  return b.length >= 4 && b[0] === 0xff && b[1] === 0xd8 && b[b.length - 2] === 0xff && b[b.length - 1] === 0xd9;
}
