import { appendFileSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { cacheRoot } from '../core/paths.js';
import type { EnrichedCourse } from '../features/course/enrich.js';
import { asEnrichedCourse } from './enriched-record.js';

/** Default snapshot: <cache>/recommender/catalogue.jsonl (`STREAMLENS_CACHE` moves the cache root). */
export function defaultCatalogueFile(): string {
  return join(cacheRoot(), 'recommender', 'catalogue.jsonl');
}

export interface CatalogueLoad {
  /** The latest record of each course id, in first-seen order. */
  records: EnrichedCourse[];
  /** Lines read (records and bad lines). */
  lines: number;
  /** Lines that were not a valid record (e.g. a torn last line after a crash); skipped. */
  badLines: { line: number; error: string }[];
}

/**
 * The recommender's persistent catalogue: JSON lines, one enriched course per line, appended on
 * every add/update (later lines win by course_id) and compacted (rewritten with one line per
 * course, atomically via a temporary file and rename) when it holds many superseded lines.
 */
export class CatalogueStore {
  /** Lines currently in the file. */
  lines = 0;

  constructor(readonly file: string = defaultCatalogueFile()) {}

  load(): CatalogueLoad {
    if (!existsSync(this.file)) {
      this.lines = 0;
      return { records: [], lines: 0, badLines: [] };
    }
    const byId = new Map<string, EnrichedCourse>();
    const badLines: CatalogueLoad['badLines'] = [];
    const text = readFileSync(this.file, 'utf8');
    let lines = 0;
    text.split('\n').forEach((line, i) => {
      if (line.trim() === '') return;
      lines++;
      try {
        const course = asEnrichedCourse(JSON.parse(line));
        byId.set(course.courseId, course);
      } catch (e) {
        badLines.push({ line: i + 1, error: (e as Error).message });
      }
    });
    this.lines = lines;
    return { records: [...byId.values()], lines, badLines };
  }

  append(records: readonly EnrichedCourse[]): void {
    if (records.length === 0) return;
    mkdirSync(dirname(this.file), { recursive: true });
    appendFileSync(this.file, records.map((r) => JSON.stringify(r)).join('\n') + '\n');
    this.lines += records.length;
  }

  /** Rewrites the file with exactly these records. */
  compact(records: readonly EnrichedCourse[]): void {
    mkdirSync(dirname(this.file), { recursive: true });
    const tmp = `${this.file}.${process.pid}.tmp`;
    writeFileSync(tmp, records.length === 0 ? '' : records.map((r) => JSON.stringify(r)).join('\n') + '\n');
    renameSync(tmp, this.file);
    this.lines = records.length;
  }
}
