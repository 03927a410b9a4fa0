import { readFileSync } from 'node:fs';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { Producer, ProduceRecord } from '../../src/bus/bus.js';
import { EmbeddedBus } from '../../src/bus/embedded.js';
import { decodeMessage } from '../../src/bus/envelope.js';
import { StageRunner } from '../../src/bus/stage-runner.js';
import { TOPICS } from '../../src/bus/topics.js';
import { requireDataPath } from '../../src/core/paths.js';
import { createCourseEnrichStage } from '../../src/features/course/stage.js';
import { CourseIngestError, ingestCourseBody, ingestCourseCsv, ingestCourseJsonLines } from '../../src/ingest/course-source.js';
import { waitFor } from '../helpers/wait.js';

class RecordingProducer implements Producer {
  readonly sent: { topic: string; record: ProduceRecord }[] = [];
  async send(topic: string, records: ProduceRecord[]): Promise<void> {
    for (const record of records) this.sent.push({ topic, record });
  }
  on(topic: string) {
    return this.sent.filter((s) => s.topic === topic).map((s) => s.record);
  }
}

const HEADER = 'course_id,course_title,url,is_paid,price,num_subscribers,num_reviews,num_lectures,level,content_duration,published_timestamp,subject';
const GOOD = [
  '1,"Learn Guitar, Fast",https://x/1,True,20,100,5,10,Beginner Level,1.5 hours,2016-01-01T00:00:00Z,Musical Instruments',
  '2,Excel for Finance,https://x/2,False,Free,2000,50,20,All Levels,35 mins,2015-05-05T10:00:00Z,Business Finance',
];
const csvFile = () => requireDataPath('udemy/udemy_courses.csv', 'Udemy courses CSV');

describe('course CSV ingest', () => {
  it('streams the real CSV (first 300 lines, incl. quoted commas) as course.raw keyed by stream id with seq and capturedAt', async () => {
    const head = readFileSync(csvFile(), 'utf8').split('\n').slice(0, 301).join('\n');
    const p = new RecordingProducer();
    const r = await ingestCourseCsv(Buffer.from(head), { producer: p, streamId: 'csv-1' });
    expect(r.deadLettered).toBe(0);
    const msgs = p.on(TOPICS.coursesRaw).map((m) => ({ key: m.key, msg: decodeMessage(m.value) }));
    expect(msgs.length).toBe(r.published);
    expect(r.published).toBeGreaterThan(290);
    expect(msgs.every((m) => m.key === 'csv-1')).toBe(true);
    expect(msgs.map((m) => m.msg.env.seq)).toEqual(msgs.map((_, i) => i));
    const first = msgs[0].msg;
    expect(first.type).toBe('course.raw');
    if (first.type === 'course.raw') expect(first.record.course_title).toBe('Ultimate Investment Banking Course');
  });

  it('empty file: a clear error', async () => {
    const p = new RecordingProducer();
    await expect(ingestCourseCsv(Buffer.alloc(0), { producer: p, streamId: 's' })).rejects.toThrow(/empty/);
    await expect(ingestCourseCsv(Buffer.from('\n\n'), { producer: p, streamId: 's' })).rejects.toBeInstanceOf(CourseIngestError);
  });

  it('wrong header: one clear error, dead-lettered once, nothing published', async () => {
    const p = new RecordingProducer();
    const body = 'id,name,cost\n1,a,2\n3,b,4\n';
    await expect(ingestCourseCsv(Buffer.from(body), { producer: p, streamId: 's' })).rejects.toThrow(/missing the column\(s\) course_id, course_title/);
    expect(p.on(TOPICS.coursesRaw)).toHaveLength(0);
    const dlq = p.on('courses.raw.dlq');
    expect(dlq).toHaveLength(1);
    expect(dlq[0].headers!['dlq.reason']).toBe('header');
  });

  it('a 50 MB line, invalid UTF-8 and a broken CSV line are dead-lettered with their reason; the stream carries on', async () => {
    const p = new RecordingProducer();
    const huge = Buffer.alloc(50 * 1024 * 1024, 0x61);
    async function* source() {
      yield Buffer.from(`${HEADER}\n${GOOD[0]}\n3,`);
      for (let i = 0; i < 50; i++) yield huge.subarray(i * 1024 * 1024, (i + 1) * 1024 * 1024);
      yield Buffer.from(`\n4,`);
      yield Buffer.from([0x66, 0xff, 0xfe]);
      yield Buffer.from(`,x\n5,"unterminated,1\n6,too,few\n${GOOD[1]}\n`);
    }
    const r = await ingestCourseCsv(source(), { producer: p, streamId: 's', maxRecordBytes: 1 << 20, maxRecordLines: 1 });
    expect(r.published).toBe(2);
    expect(r.reasons).toEqual({ size: 1, utf8: 1, csv: 2 });
    expect(r.deadLettered).toBe(4);
    const dlq = p.on('courses.raw.dlq');
    expect(dlq.map((d) => d.headers!['dlq.reason'])).toEqual(['size', 'utf8', 'csv', 'csv']);
    expect(dlq[0].headers!['dlq.originalBytes']).toBe(String(50 * 1024 * 1024 + 2));
    expect(dlq[0].value.length).toBe(0);
    expect(dlq[2].headers!['dlq.error']).toMatch(/unterminated/);
    const titles = p.on(TOPICS.coursesRaw).map((m) => (decodeMessage(m.value) as { record: Record<string, unknown> }).record.course_title);
    expect(titles).toEqual(['Learn Guitar, Fast', 'Excel for Finance']);
  });

  it('replays at a given rate', async () => {
    const p = new RecordingProducer();
    const body = [HEADER, ...Array.from({ length: 6 }, (_, i) => GOOD[0].replace(/^1,/, `${i + 10},`))].join('\n');
    const t0 = Date.now();
    const r = await ingestCourseCsv(Buffer.from(body), { producer: p, streamId: 's', rate: 50 });
    expect(r.published).toBe(6);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(90); // 6 records at 50/s: the 6th is due at 100 ms
  });
});

describe('JSON lines and HTTP bodies', () => {
  it('JSON lines: invalid JSON, non-objects, invalid UTF-8 and over-long lines are dead-lettered', async () => {
    const p = new RecordingProducer();
    const lines = [JSON.stringify({ course_id: 1 }), '{bad json', '[1,2]', '', 'x'.repeat(5000), JSON.stringify({ course_id: 2 })].join('\n');
    const bytes = Buffer.concat([Buffer.from(lines + '\n'), Buffer.from([0xc3, 0x28, 0x0a])]);
    const r = await ingestCourseJsonLines(Readable.from([bytes]), { producer: p, streamId: 'j', maxRecordBytes: 1000 });
    expect(r.published).toBe(2);
    expect(r.reasons).toEqual({ json: 2, size: 1, utf8: 1 });
  });

  it('POST bodies: one record, an array, CSV text; bad bodies are clear errors', async () => {
    const p = new RecordingProducer();
    expect((await ingestCourseBody('application/json', JSON.stringify({ course_id: 1 }), { producer: p, streamId: 'h' })).published).toBe(1);
    const arr = await ingestCourseBody('application/json; charset=utf-8', JSON.stringify([{ course_id: 1 }, 5, { course_id: 2 }]), { producer: p, streamId: 'h' });
    expect(arr).toMatchObject({ published: 2, deadLettered: 1, reasons: { json: 1 } });
    expect((await ingestCourseBody('text/csv', [HEADER, ...GOOD].join('\n'), { producer: p, streamId: 'h' })).published).toBe(2);
    await expect(ingestCourseBody('application/json', '{nope', { producer: p, streamId: 'h' })).rejects.toThrow(/not valid JSON/);
    await expect(ingestCourseBody('image/png', 'x', { producer: p, streamId: 'h' })).rejects.toThrow(/unsupported content type/);
  });
});

describe('course enrich stage on the embedded bus', () => {
  it('negative prices, future timestamps and duplicate ids are dead-lettered with field and reason; valid records are enriched', async () => {
    const bus = new EmbeddedBus();
    const stage = createCourseEnrichStage({ referenceDate: '2017-07-07T00:00:00Z' });
    const runner = new StageRunner(bus, stage);
    await runner.start();
    const rows = [
      GOOD[0],
      GOOD[0], // duplicate id 1
      '7,Negative,https://x/7,True,-5,1,1,1,All Levels,1,2016-01-01T00:00:00Z,Business Finance',
      '8,Future,https://x/8,True,5,1,1,1,All Levels,1,2999-01-01T00:00:00Z,Business Finance',
      '9,Bad level,https://x/9,True,5,1,1,1,Wizard,1,2016-01-01T00:00:00Z,Business Finance',
      GOOD[1],
    ];
    const r = await ingestCourseCsv(Buffer.from([HEADER, ...rows].join('\n')), { producer: bus.producer(), streamId: 'stage-1' });
    expect(r.published).toBe(6);
    const enriched: Record<string, unknown>[] = [];
    const dlq: Record<string, string>[] = [];
    const out = bus.consumer({ groupId: 'test-out', topics: [TOPICS.coursesEnriched, 'courses.raw.dlq'] });
    await out.run(async (batch) => {
      for (const m of batch.messages) {
        if (m.topic === TOPICS.coursesEnriched) enriched.push((decodeMessage(m.value) as { record: Record<string, unknown> }).record);
        else dlq.push(m.headers);
      }
    });
    await waitFor(() => enriched.length + dlq.length >= 6, 'six results');
    await out.stop();
    await runner.stop();
    await bus.close();
    expect(enriched.map((e) => e.courseId)).toEqual(['1', '2']);
    expect(enriched[1]).toMatchObject({ isFree: true, price: 0, contentDurationHours: 35 / 60, levelIndex: 0, publishedYear: 2015 });
    const byReason = dlq.map((h) => [h['dlq.reason'], h['dlq.error']]);
    expect(byReason).toHaveLength(4);
    expect(byReason.filter(([r]) => r === 'duplicate')).toHaveLength(1);
    const errors = byReason.filter(([r]) => r === 'validation').map(([, e]) => e);
    expect(errors.some((e) => /price: price cannot be negative/.test(e))).toBe(true);
    expect(errors.some((e) => /published_timestamp: timestamp is in the future/.test(e))).toBe(true);
    expect(errors.some((e) => /level: expected one of/.test(e))).toBe(true);
    expect(stage.dedup.duplicates).toBe(1);
  });
});

describe('course enrichment under redelivery', () => {
  it('a batch redelivered after its output send failed is enriched again, never dead-lettered as "duplicate"', async () => {
    const bus = new EmbeddedBus();
    // The bus refuses the stage's first two sends to courses.enriched, as a broker outage would.
    const realProducer = bus.producer.bind(bus);
    let refusals = 2;
    bus.producer = () => {
      const p = realProducer();
      return {
        send: async (topic: string, records: ProduceRecord[]) => {
          if (topic === TOPICS.coursesEnriched && refusals > 0) {
            refusals--;
            throw new Error('broker unreachable');
          }
          return p.send(topic, records);
        },
      };
    };
    const stage = createCourseEnrichStage({ referenceDate: '2017-07-07' });
    const runner = new StageRunner(bus, stage);
    await runner.start();
    const rows = Array.from({ length: 40 }, (_, i) => `${100 + i},Course ${i},https://x/${i},True,20,100,5,10,Beginner Level,1.5 hours,2016-01-01T00:00:00Z,Web Development`);
    // One genuine duplicate, in a later record: that one (and only that one) is dead-lettered.
    rows.push(rows[3].replace('Course 3', 'Course 3 again'));
    const r = await ingestCourseCsv(Buffer.from([HEADER, ...rows].join('\n')), { producer: realProducer(), streamId: 'redeliver-1' });
    expect(r.published).toBe(41);
    const enriched: number[] = [];
    const dlq: Record<string, string>[] = [];
    const out = bus.consumer({ groupId: 'test-redeliver', topics: [TOPICS.coursesEnriched, 'courses.raw.dlq'] });
    await out.run(async (batch) => {
      for (const m of batch.messages) {
        if (m.topic === TOPICS.coursesEnriched) enriched.push(decodeMessage(m.value).env.seq);
        else dlq.push(m.headers);
      }
    });
    await waitFor(() => enriched.length + dlq.length >= 41, 'every record answered');
    await out.stop();
    await runner.stop();
    await bus.close();
    expect(refusals).toBe(0);
    expect(new Set(enriched).size).toBe(40);
    expect(dlq.map((h) => h['dlq.reason'])).toEqual(['duplicate']);
    expect(dlq[0]['dlq.error']).toMatch(/duplicate course 103/);
  });
});

describe('looping demo course source', () => {
  const rows = Array.from({ length: 30 }, (_, i) => `${500 + i},Course ${i},https://x/${i},True,20,100,5,10,Beginner Level,1.5 hours,2016-01-01T00:00:00Z,${['Web Development', 'Business Finance', 'Musical Instruments'][Math.floor(i / 10)]}`);
  const csv = (extra: string[] = []) => Buffer.from([HEADER, ...rows, ...extra].join('\n'));
  /** Plays the CSV `passes` times the way src/ingest/stream-manager.ts loops it, through the enrich stage; returns the stage's answers. */
  async function loop(input: Buffer, passes: number, shuffleSeed?: number) {
    const stage = createCourseEnrichStage({ referenceDate: '2017-07-07' });
    const p = new RecordingProducer();
    let seq = 0;
    for (let pass = 0; pass < passes; pass++) {
      const r = await ingestCourseCsv(input, { producer: p, streamId: 'demo-courses', startSeq: seq, pass, ...(shuffleSeed !== undefined ? { shuffleSeed } : {}) });
      seq += r.published + r.deadLettered;
    }
    const inputs = p.on(TOPICS.coursesRaw).map((m) => ({ message: decodeMessage(m.value), source: m as never }));
    const results = await stage.process(inputs);
    return { inputs, results, errors: results.filter((r): r is Error => r instanceof Error) };
  }

  it('a replay is a new pass: 3 passes over a small CSV dead-letter no duplicates', async () => {
    const { results, errors } = await loop(csv(), 3);
    expect(results).toHaveLength(90);
    expect(errors).toEqual([]);
  });

  it('a _pass that comes with the input is dropped: posted records cannot number passes to dodge the de-duplicator', async () => {
    const stage = createCourseEnrichStage({ referenceDate: '2017-07-07' });
    const p = new RecordingProducer();
    const record = (pass: number) => JSON.stringify({ course_id: 777, course_title: 'Forged', url: 'https://x/777', is_paid: true, price: 20, num_subscribers: 100, num_reviews: 5, num_lectures: 10, level: 'Beginner Level', content_duration: 1.5, published_timestamp: '2016-01-01T00:00:00Z', subject: 'Web Development', _pass: pass });
    await ingestCourseJsonLines(Buffer.from([record(1), record(2)].join('\n')), { producer: p, streamId: 'posted' });
    const inputs = p.on(TOPICS.coursesRaw).map((m) => ({ message: decodeMessage(m.value), source: m as never }));
    expect(inputs.map((i) => (i.message as { record: Record<string, unknown> }).record._pass)).toEqual([undefined, undefined]);
    const results = await stage.process(inputs);
    expect(results.filter((r) => r instanceof Error).map((e) => (e as Error).message)).toEqual([expect.stringMatching(/duplicate course 777/)]);
  });

  it('a genuine duplicate row within a pass is still dead-lettered, once per pass', async () => {
    const { errors } = await loop(csv([rows[3].replace('Course 3', 'Course 3 again')]), 3);
    expect(errors).toHaveLength(3);
    expect(errors.every((e) => /duplicate course 503/.test(e.message))).toBe(true);
  });

  it('plays the rows in a seeded random order: stable per seed, a mix of subjects, a new order each pass', async () => {
    const ids = async (seed: number, passes = 1) => (await loop(csv(), passes, seed)).inputs.map((i) => (i.message as { record: Record<string, unknown> }).record.course_id);
    const a = await ids(7);
    expect(await ids(7)).toEqual(a);
    expect(await ids(8)).not.toEqual(a);
    expect([...a].sort()).toEqual(rows.map((r) => r.split(',')[0]).sort());
    // the first ten rows played are not one subject (file order would be ten Web Development rows)
    const subjects = new Set(a.slice(0, 10).map((id) => Math.floor((Number(id) - 500) / 10)));
    expect(subjects.size).toBeGreaterThan(1);
    const two = await ids(7, 2);
    expect(two.slice(0, 30)).toEqual(a);
    expect(two.slice(30)).not.toEqual(a);
  });
});
