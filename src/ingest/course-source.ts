import { createReadStream, statSync } from 'node:fs';
import { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { parse as parseCsvSync } from 'csv-parse/sync';
import type { Headers, Producer, ProduceRecord } from '../bus/bus.js';
import { encodeMessage, envelopeHeaders } from '../bus/envelope.js';
import { TOPICS, deadLetterTopic } from '../bus/topics.js';
import type { Route } from '../core/route.js';
import { sendDurably } from './durable-send.js';
import { decodeUtf8Strict, readPhysicalLines } from './line-reader.js';
import { excerpt, jsonErrorSummary } from '../core/redact.js';

/**
 * Course record sources: CSV files (streamed, RFC 4180 quoting including multi-line quoted
 * fields), JSON lines, and HTTP bodies (`POST /api/courses`: one JSON record, a JSON array,
 * JSON lines or CSV text). Every record becomes a `course.raw` message on `courses.raw`, keyed
 * by the stream id, with a per-stream seq and capturedAt. Input that cannot even be parsed
 * (bad CSV line, invalid JSON, invalid UTF-8, an over-long line) goes to `courses.raw.dlq` with
 * its reason and the source carries on; the report counts it. Validation of the fields is the
 * enrichment stage's job, not the source's.
 *
 * Errors and dead-letter headers never quote the input: they name the line, the kind of problem and
 * at most a short, escaped excerpt of the offending field (src/core/redact.ts `excerpt`); the
 * dead letter's value keeps the original bytes for whoever is allowed to read the topic.
 */
export interface CourseIngestOptions {
  producer: Producer;
  streamId: string;
  /** Records per second to replay at; 0 or undefined: as fast as the bus accepts (awaited sends = backpressure). */
  rate?: number;
  /** Longest record accepted, bytes (csv-parse max_record_size and the JSONL line guard). Default 1 MiB. */
  maxRecordBytes?: number;
  /** Most physical lines one quoted CSV record may span before it counts as an unterminated quote. Default 20. */
  maxRecordLines?: number;
  /** Records per send when not paced. Default 64. */
  batchSize?: number;
  /** First seq of the stream. Default 0. */
  startSeq?: number;
  signal?: AbortSignal;
  /** The stream's model route, carried in every record's envelope (src/core/route.ts). */
  route?: Route;
  /**
   * Wait out a bus that is down (retry with backoff until it acknowledges; the source pauses) instead of
   * failing. Default true, for files; the HTTP ingest path sets false so the client gets an error at once.
   */
  durable?: boolean;
  /** Called with the number of records (and dead letters) the bus just acknowledged. */
  onAcknowledged?(records: number, deadLetters: number): void;
  /**
   * Pass number of a looping source (0 the first play of the file, 1 the first replay, ...). Set, every record
   * carries it as `_pass`, and the de-duplicator treats a later pass's record as new (a replay is a new pass,
   * not a duplicate); duplicates within one pass are still dead-lettered.
   */
  pass?: number;
  /** CSV only: play the rows in a seeded random order (stable per seed and pass) instead of file order. */
  shuffleSeed?: number;
}

/** Record field that carries a looping source's pass (see CourseIngestOptions.pass). */
export const COURSE_PASS_FIELD = '_pass';

/** mulberry32: a small seeded PRNG, the same sequence for the same seed. */
function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Fisher-Yates shuffle in place with a seeded PRNG: the same seed gives the same order. */
export function seededShuffle<T>(items: T[], seed: number): T[] {
  const rnd = seededRandom(seed);
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1));
    [items[i], items[j]] = [items[j], items[i]];
  }
  return items;
}

export type CourseDeadLetterReason = 'csv' | 'json' | 'utf8' | 'size' | 'header';

export interface CourseIngestReport {
  streamId: string;
  /** Records (or lines) read, good and bad. */
  read: number;
  published: number;
  deadLettered: number;
  reasons: Partial<Record<CourseDeadLetterReason, number>>;
  seconds: number;
}

/** Input that cannot be read at all (empty file, wrong header, unsupported content type). */
export class CourseIngestError extends Error {
  constructor(
    message: string,
    readonly reason: 'empty' | 'header' | 'content-type' | 'json',
  ) {
    super(message);
    this.name = 'CourseIngestError';
  }
}

/** Columns a course CSV must have; the others (url, num_subscribers, num_reviews, subject) are optional. */
export const REQUIRED_CSV_COLUMNS = ['course_id', 'course_title', 'is_paid', 'price', 'num_lectures', 'level', 'content_duration', 'published_timestamp'];

const DEFAULT_MAX_RECORD_BYTES = 1 << 20;

class CoursePublisher {
  private pending: ProduceRecord[] = [];
  private seq: number;
  private readonly started = Date.now();
  private readonly startedHr = performance.now();
  readonly report: CourseIngestReport;

  constructor(private readonly o: CourseIngestOptions) {
    this.seq = o.startSeq ?? 0;
    this.report = { streamId: o.streamId, read: 0, published: 0, deadLettered: 0, reasons: {}, seconds: 0 };
    if (o.rate !== undefined && !(o.rate >= 0)) throw new Error(`ingest rate must be >= 0 records/s, got ${o.rate}`);
  }

  async publish(record: Record<string, unknown>): Promise<void> {
    this.o.signal?.throwIfAborted();
    this.report.read++;
    await this.pace();
    const env = { streamId: this.o.streamId, seq: this.seq++, capturedAt: Date.now(), ...(this.o.route ? { route: this.o.route } : {}) };
    // The pass is the source's to set: a `_pass` that came with the input (a CSV column, a posted record) is dropped,
    // so nobody can make the de-duplicator skip duplicates by numbering passes themselves.
    if (COURSE_PASS_FIELD in record) {
      const { [COURSE_PASS_FIELD]: _forged, ...rest } = record;
      record = rest;
    }
    if (this.o.pass !== undefined) record = { ...record, [COURSE_PASS_FIELD]: this.o.pass };
    this.pending.push(encodeMessage({ type: 'course.raw', env, record }));
    if (this.paced || this.pending.length >= (this.o.batchSize ?? 64)) await this.flush();
  }

  async deadLetter(reason: CourseDeadLetterReason, message: string, raw: Buffer, extra: Headers = {}): Promise<void> {
    this.report.read++;
    this.report.deadLettered++;
    this.report.reasons[reason] = (this.report.reasons[reason] ?? 0) + 1;
    const env = { streamId: this.o.streamId, seq: this.seq++, capturedAt: Date.now() };
    const headers: Headers = {
      ...envelopeHeaders('course.raw', env),
      'dlq.reason': reason,
      'dlq.error': message.length > 2000 ? message.slice(0, 2000) + '…' : message,
      'dlq.stage': 'ingest:course',
      'dlq.topic': TOPICS.coursesRaw,
      'dlq.originalBytes': String(extra['dlq.originalBytes'] ?? raw.length),
      'dlq.at': String(Date.now()),
      ...extra,
    };
    const limit = 64 * 1024;
    if (raw.length > limit) headers['dlq.truncated'] = 'true';
    await this.flush();
    await this.send(deadLetterTopic(TOPICS.coursesRaw), [{ key: this.o.streamId, value: raw.subarray(0, limit), headers }]);
    this.o.onAcknowledged?.(0, 1);
  }

  async flush(): Promise<void> {
    if (this.pending.length === 0) return;
    const batch = this.pending;
    this.pending = [];
    await this.send(TOPICS.coursesRaw, batch);
    // Counted once the bus acknowledged them: `published` never includes records still in flight.
    this.report.published += batch.length;
    this.o.onAcknowledged?.(batch.length, 0);
  }

  private send(topic: string, records: ProduceRecord[]): Promise<void> {
    if (this.o.durable === false) return this.o.producer.send(topic, records);
    return sendDurably(this.o.producer, topic, records, { signal: this.o.signal, source: this.o.streamId });
  }

  async finish(): Promise<CourseIngestReport> {
    await this.flush();
    this.report.seconds = (performance.now() - this.startedHr) / 1000;
    return this.report;
  }

  private get paced(): boolean {
    return (this.o.rate ?? 0) > 0;
  }

  private async pace(): Promise<void> {
    if (!this.paced) return;
    const due = this.started + ((this.report.published + this.pending.length) * 1000) / this.o.rate!;
    const wait = due - Date.now();
    if (wait > 0) await sleep(wait, undefined, { signal: this.o.signal });
  }
}

function toSource(input: string | AsyncIterable<Buffer | string> | Buffer): AsyncIterable<Buffer | string> {
  if (Buffer.isBuffer(input)) return Readable.from([input]);
  if (typeof input === 'string') {
    try {
      if (!statSync(input).isFile()) throw new Error(`${input} is not a file`);
    } catch (e) {
      throw new Error(`course source ${input}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'file not found' : (e as Error).message}`);
    }
    return createReadStream(input, { highWaterMark: 256 * 1024 });
  }
  return input;
}

/** What csv-parse says, without the record: its error code, the column and at most a short escaped excerpt. */
function csvErrorSummary(e: unknown): string {
  const err = e as { code?: string; column?: number | string; message?: string };
  const code = typeof err.code === 'string' ? err.code.replace(/^CSV_/, '').toLowerCase().replace(/_/g, ' ') : 'syntax error';
  const got = /got "(.)"/.exec(err.message ?? '')?.[1];
  return `${code}${got !== undefined ? ` at ${excerpt(got, 1)}` : ''}${err.column !== undefined ? `, column ${excerpt(String(err.column), 24)}` : ''}`;
}

function normaliseHeader(name: string): string {
  return name.trim().toLowerCase().replace(/[\s-]+/g, '_');
}

function countQuotes(s: string): number {
  let n = 0;
  for (let i = s.indexOf('"'); i >= 0; i = s.indexOf('"', i + 1)) n++;
  return n;
}

/**
 * Streams a course CSV (path, Buffer or byte stream) to `courses.raw`. Throws CourseIngestError
 * for an empty file or a header without the required columns (that one error is also
 * dead-lettered, reason 'header', instead of one failure per row).
 */
export async function ingestCourseCsv(input: string | Buffer | AsyncIterable<Buffer | string>, options: CourseIngestOptions): Promise<CourseIngestReport> {
  const out = new CoursePublisher(options);
  const maxBytes = options.maxRecordBytes ?? DEFAULT_MAX_RECORD_BYTES;
  const maxLines = options.maxRecordLines ?? 20;
  let header: string[] | undefined;
  /** Lines of the record being assembled (a quoted field may span lines). */
  const pending: { text: string; lineNo: number; bytes: Buffer }[] = [];
  /** With shuffleSeed: the good rows, held back to be played in a seeded order at the end. */
  const held: Record<string, unknown>[] | undefined = options.shuffleSeed !== undefined ? [] : undefined;

  const emitRecord = async (text: string, lineNo: number, raw: Buffer): Promise<void> => {
    let rows: string[][];
    try {
      // fast path: a record without quotes is plain comma-separated fields (RFC 4180)
      rows = text.includes('"') ? (parseCsvSync(text, { max_record_size: maxBytes, relax_quotes: false }) as string[][]) : [text.split(',')];
    } catch (e) {
      await out.deadLetter('csv', `line ${lineNo}: not a valid CSV record (${csvErrorSummary(e)})`, raw, { 'dlq.line': String(lineNo) });
      return;
    }
    if (rows.length !== 1) {
      await out.deadLetter('csv', `line ${lineNo}: expected one CSV record, found ${rows.length}`, raw, { 'dlq.line': String(lineNo) });
      return;
    }
    const cells = rows[0];
    if (!header) {
      header = cells.map(normaliseHeader);
      const missing = REQUIRED_CSV_COLUMNS.filter((c) => !header!.includes(c));
      if (missing.length > 0) {
        // The line is not quoted: a file that is not a course CSV (say /etc/passwd) must not show up in messages.
        const msg = `course CSV header is missing the column(s) ${missing.join(', ')} (the first line has ${cells.length} field(s)); no row can be mapped, nothing was published`;
        await out.deadLetter('header', msg, raw, { 'dlq.line': String(lineNo) });
        throw new CourseIngestError(msg, 'header');
      }
      return;
    }
    if (cells.length !== header.length) {
      await out.deadLetter('csv', `line ${lineNo}: ${cells.length} fields, the header has ${header.length}`, raw, { 'dlq.line': String(lineNo) });
      return;
    }
    const record: Record<string, unknown> = {};
    for (let i = 0; i < header.length; i++) record[header[i]] = cells[i];
    if (held) held.push(record);
    else await out.publish(record);
  };

  const drainPending = async (force: boolean): Promise<void> => {
    // Emit complete records from the front of `pending`; an over-long unbalanced one is dead-lettered line by line.
    while (pending.length > 0) {
      let quotes = 0;
      let end = -1;
      for (let i = 0; i < pending.length; i++) {
        quotes += countQuotes(pending[i].text);
        if (quotes % 2 === 0) {
          end = i;
          break;
        }
      }
      if (end >= 0) {
        const lines = pending.splice(0, end + 1);
        const text = lines.map((l) => l.text).join('\n');
        if (text.trim() === '' && lines.length === 1) continue;
        await emitRecord(text, lines[0].lineNo, Buffer.concat(lines.map((l) => l.bytes)));
        continue;
      }
      if (pending.length > maxLines || force) {
        const first = pending.shift()!;
        await out.deadLetter('csv', `line ${first.lineNo}: unterminated quoted field`, first.bytes, { 'dlq.line': String(first.lineNo) });
        continue;
      }
      return;
    }
  };

  const beforeDeadLetter = async (reason: 'size' | 'utf8', bytes: number): Promise<void> => {
    await drainPending(true);
    if (reason === 'size' && !header) throw new CourseIngestError(`course CSV header line is ${bytes} bytes long (limit ${maxBytes})`, 'header');
  };
  for await (const line of decodedLines(input, maxBytes, out, beforeDeadLetter)) {
    pending.push(line);
    await drainPending(false);
  }
  await drainPending(true);
  if (!header) throw new CourseIngestError('course CSV is empty: no header line (expected course_id,course_title,...)', 'empty');
  if (held) {
    // A different (but stable) order on every pass of a looping source.
    for (const record of seededShuffle(held, (options.shuffleSeed! + (options.pass ?? 0) * 0x9e3779b1) >>> 0)) await out.publish(record);
  }
  return out.finish();
}

/**
 * The input's lines decoded as UTF-8; an oversize line or one that is not valid UTF-8 goes to the
 * dead-letter topic with its line number (after `beforeDeadLetter`, which may throw to stop).
 */
async function* decodedLines(
  input: string | Buffer | AsyncIterable<Buffer | string>,
  maxBytes: number,
  out: CoursePublisher,
  beforeDeadLetter: (reason: 'size' | 'utf8', bytes: number) => Promise<void> = async () => undefined,
): AsyncGenerator<{ text: string; lineNo: number; bytes: Buffer }> {
  for await (const line of readPhysicalLines(toSource(input), maxBytes)) {
    if (line.kind === 'oversize') {
      await beforeDeadLetter('size', line.length);
      await out.deadLetter('size', `line ${line.lineNo}: record of ${line.length} bytes exceeds the limit of ${maxBytes} bytes`, Buffer.alloc(0), {
        'dlq.line': String(line.lineNo),
        'dlq.originalBytes': String(line.length),
      });
      continue;
    }
    let text: string;
    try {
      text = decodeUtf8Strict(line.bytes);
    } catch {
      await beforeDeadLetter('utf8', line.bytes.length);
      await out.deadLetter('utf8', `line ${line.lineNo}: invalid UTF-8`, line.bytes, { 'dlq.line': String(line.lineNo) });
      continue;
    }
    yield { text, lineNo: line.lineNo, bytes: line.bytes };
  }
}

/** Streams JSON lines (one course object per line) to `courses.raw`. Blank lines are skipped. */
export async function ingestCourseJsonLines(input: string | Buffer | AsyncIterable<Buffer | string>, options: CourseIngestOptions): Promise<CourseIngestReport> {
  const out = new CoursePublisher(options);
  const maxBytes = options.maxRecordBytes ?? DEFAULT_MAX_RECORD_BYTES;
  for await (const line of decodedLines(input, maxBytes, out)) {
    if (line.text.trim() === '') continue;
    let value: unknown;
    try {
      value = JSON.parse(line.text);
    } catch (e) {
      await out.deadLetter('json', `line ${line.lineNo}: invalid JSON (${jsonErrorSummary(e)})`, line.bytes, { 'dlq.line': String(line.lineNo) });
      continue;
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      await out.deadLetter('json', `line ${line.lineNo}: a course record must be a JSON object`, line.bytes, { 'dlq.line': String(line.lineNo) });
      continue;
    }
    await out.publish(value as Record<string, unknown>);
  }
  return out.finish();
}

/**
 * Body of `POST /api/courses`: `application/json` (one record or an array of records),
 * `application/x-ndjson` / `application/jsonl` (JSON lines) or `text/csv` (CSV with header).
 * Throws CourseIngestError for an unsupported content type, a body that is not JSON, or a
 * CSV without a usable header (the gateway answers 400/415); bad elements are dead-lettered.
 */
export async function ingestCourseBody(
  contentType: string | undefined,
  body: string | Buffer,
  options: CourseIngestOptions,
): Promise<CourseIngestReport> {
  const type = (contentType ?? '').split(';')[0].trim().toLowerCase();
  const bytes = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
  if (type === 'text/csv' || type === 'application/csv') return ingestCourseCsv(bytes, options);
  if (type === 'application/x-ndjson' || type === 'application/jsonl' || type === 'application/jsonlines' || type === 'application/x-jsonlines') {
    return ingestCourseJsonLines(bytes, options);
  }
  if (type === 'application/json' || type.endsWith('+json')) {
    let text: string;
    try {
      text = decodeUtf8Strict(bytes);
    } catch {
      throw new CourseIngestError('request body is not valid UTF-8', 'json');
    }
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (e) {
      throw new CourseIngestError(`request body is not valid JSON (${jsonErrorSummary(e)})`, 'json');
    }
    const items = Array.isArray(value) ? value : [value];
    if (!Array.isArray(value) && (typeof value !== 'object' || value === null)) {
      throw new CourseIngestError('request body must be a course object or an array of course objects', 'json');
    }
    const out = new CoursePublisher(options);
    for (let i = 0; i < items.length; i++) {
      const item = items[i];
      if (typeof item !== 'object' || item === null || Array.isArray(item)) {
        await out.deadLetter('json', `element ${i}: a course record must be a JSON object`, Buffer.from(JSON.stringify(item) ?? 'undefined'));
        continue;
      }
      await out.publish(item as Record<string, unknown>);
    }
    return out.finish();
  }
  throw new CourseIngestError(
    `unsupported content type ${JSON.stringify(contentType ?? '')} for courses: use application/json, application/x-ndjson or text/csv`,
    'content-type',
  );
}
