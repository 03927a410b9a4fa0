/**
 * Splits a byte stream of concatenated JPEG images (ffmpeg `-f image2pipe -c:v mjpeg`) into one
 * Buffer per image. It follows the marker structure rather than searching for FFD9 blindly: marker
 * segments with a length (APPn, DQT, SOF, DHT, ...) are skipped whole, so an EXIF thumbnail's EOI
 * cannot end a frame early, and inside entropy-coded data only an unstuffed FF D9 ends the image.
 */
export class JpegSplitter {
  private buf: Buffer = Buffer.alloc(0);
  /** Bytes discarded because they were outside any JPEG (garbage between frames). */
  skippedBytes = 0;
  /** Largest accepted frame; a stream that never ends a frame is an error, not unbounded memory. */
  constructor(private readonly maxFrameBytes = 32 * 1024 * 1024) {}

  push(chunk: Buffer): Buffer[] {
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    const frames: Buffer[] = [];
    for (;;) {
      const soi = this.findSoi();
      if (soi < 0) {
        // keep a trailing 0xFF: it may be the first byte of the next SOI
        const keep = this.buf.length > 0 && this.buf[this.buf.length - 1] === 0xff ? 1 : 0;
        this.skippedBytes += this.buf.length - keep;
        this.buf = this.buf.subarray(this.buf.length - keep);
        break;
      }
      if (soi > 0) {
        this.skippedBytes += soi;
        this.buf = this.buf.subarray(soi);
      }
      const end = this.findEnd();
      if (end < 0) {
        if (this.buf.length > this.maxFrameBytes) {
          throw new Error(`JPEG stream: no end-of-image marker within ${this.maxFrameBytes} bytes (not an MJPEG stream?)`);
        }
        break;
      }
      frames.push(Buffer.from(this.buf.subarray(0, end)));
      this.buf = this.buf.subarray(end);
    }
    return frames;
  }

  /** Bytes of an unfinished frame still buffered. */
  get pendingBytes(): number {
    return this.buf.length;
  }

  private findSoi(): number {
    const b = this.buf;
    for (let i = 0; i + 1 < b.length; i++) {
      if (b[i] === 0xff && b[i + 1] === 0xd8) return i;
    }
    return -1;
  }

  /** Index just past the EOI of the JPEG starting at 0, or -1 when it is not complete yet. */
  private findEnd(): number {
    const b = this.buf;
    let i = 2;
    // Header segments up to SOS.
    for (;;) {
      if (i + 4 > b.length) return -1;
      if (b[i] !== 0xff) throw new Error(`JPEG stream: expected a marker at byte ${i}, found 0x${b[i].toString(16)}`);
      const marker = b[i + 1];
      if (marker === 0xff) {
        i++; // fill byte
        continue;
      }
      if (marker === 0xd9) return i + 2; // EOI without scan
      if (marker >= 0xd0 && marker <= 0xd7) {
        i += 2;
        continue;
      }
      const len = b.readUInt16BE(i + 2);
      if (len < 2) throw new Error(`JPEG stream: bad segment length ${len} at byte ${i}`);
      i += 2 + len;
      if (marker === 0xda) break; // SOS: entropy-coded data follows
    }
    // Entropy-coded data (possibly several scans): stop at an unstuffed FF D9.
    for (; i + 1 < b.length; i++) {
      if (b[i] !== 0xff) continue;
      const m = b[i + 1];
      if (m === 0x00 || m === 0xff || (m >= 0xd0 && m <= 0xd7)) continue;
      if (m === 0xd9) return i + 2;
      // Another marker (DHT/SOS of a progressive scan): skip its segment.
      if (i + 4 > b.length) return -1;
      const len = b.readUInt16BE(i + 2);
      i += 1 + len;
    }
    return -1;
  }
}
