import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { deflateSync } from 'node:zlib';
import { dataRoot } from '../../src/core/paths.js';

/** A few real photos per class (the shared development data). */
export function animalPhoto(label: 'cat' | 'dog' | 'fox', n = 0): string {
  const dir = join(dataRoot(), 'animals', label);
  const files = existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.jpg')).sort() : [];
  const p = join(dir, files[n] ?? `${label}.${n}.jpg`);
  if (!existsSync(p)) throw new Error(`test photo ${p} is missing (development data at ../shared/data, or STREAMLENS_DATA)`);
  return p;
}

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

function crc32(b: Buffer): number {
  let c = 0xffffffff;
  for (const x of b) c = CRC_TABLE[(c ^ x) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type: string, data: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const td = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(td));
  return Buffer.concat([len, td, crc]);
}

/**
 * A valid, tiny PNG that declares width x height grayscale pixels (all zero). Its IDAT is a few
 * hundred bytes of deflate for 100 MB of pixels: a decompression bomb that costs nothing to make.
 */
export function hugeDimensionPng(width: number, height: number): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 0; // grayscale
  const row = Buffer.alloc(width + 1); // filter byte 0 + zeros
  const raw = Buffer.alloc(row.length * Math.min(height, 64));
  const idat = deflateSync(raw); // only the first rows: the decoder must refuse before reading the rest
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr), chunk('IDAT', idat), chunk('IEND', Buffer.alloc(0))]);
}
