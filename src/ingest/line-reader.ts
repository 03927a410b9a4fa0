/**
 * Splits a byte stream into physical lines without ever holding more than `maxLineBytes` of one
 * line: a longer line is reported as `oversize` (with its full length) and its bytes are discarded
 * as they stream past, so a 50 MB line costs no more memory than a short one.
 */
export type PhysicalLine = { kind: 'line'; bytes: Buffer; lineNo: number } | { kind: 'oversize'; length: number; lineNo: number };

export async function* readPhysicalLines(source: AsyncIterable<Buffer | string>, maxLineBytes: number): AsyncGenerator<PhysicalLine> {
  let parts: Buffer[] = [];
  let held = 0;
  let discarding = false;
  let discardedLength = 0;
  let lineNo = 0;
  const finish = (): PhysicalLine => {
    lineNo++;
    if (discarding) {
      const r: PhysicalLine = { kind: 'oversize', length: discardedLength, lineNo };
      discarding = false;
      discardedLength = 0;
      return r;
    }
    let bytes = parts.length === 1 ? parts[0] : Buffer.concat(parts, held);
    if (bytes.length > 0 && bytes[bytes.length - 1] === 0x0d) bytes = bytes.subarray(0, bytes.length - 1);
    parts = [];
    held = 0;
    return { kind: 'line', bytes, lineNo };
  };
  const take = (chunk: Buffer) => {
    if (discarding) {
      discardedLength += chunk.length;
      return;
    }
    if (held + chunk.length > maxLineBytes) {
      discarding = true;
      discardedLength = held + chunk.length;
      parts = [];
      held = 0;
      return;
    }
    parts.push(chunk);
    held += chunk.length;
  };
  for await (const c of source) {
    const chunk = typeof c === 'string' ? Buffer.from(c, 'utf8') : c;
    let start = 0;
    for (;;) {
      const nl = chunk.indexOf(0x0a, start);
      if (nl < 0) break;
      take(chunk.subarray(start, nl));
      yield finish();
      start = nl + 1;
    }
    if (start < chunk.length) take(Buffer.from(chunk.subarray(start)));
  }
  if (held > 0 || discarding) yield finish();
}

const utf8Strict = new TextDecoder('utf-8', { fatal: true });

/** Decodes UTF-8, throwing on invalid bytes (never replacing them silently). Strips a BOM. */
export function decodeUtf8Strict(bytes: Uint8Array): string {
  const s = utf8Strict.decode(bytes);
  return s.charCodeAt(0) === 0xfeff ? s.slice(1) : s;
}
