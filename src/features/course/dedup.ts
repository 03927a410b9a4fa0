import { PermanentError } from '../../bus/stage-runner.js';

/**
 * Duplicate detection by course_id over a bounded, in-memory seen-set (insertion-ordered, the
 * oldest ids are forgotten once `capacity` is reached, so memory stays bounded on an endless
 * stream). Scope 'stream' keeps one set per stream id (a replayed file is checked against itself);
 * 'global' one set for every stream. Each id remembers the input that claimed it (stream id and
 * seq): the same input delivered again (at-least-once redelivery after a failed send, a broker
 * outage or a rebalance) is that input, never its own duplicate, so a retried batch is never
 * dead-lettered as "duplicate". The set is not persisted: after a restart, ids seen before it are
 * not known (documented limit: a record repeated across a restart passes twice).
 */
export interface DeduplicatorOptions {
  capacity?: number;
  scope?: 'stream' | 'global';
}

export class DuplicateCourseError extends PermanentError {
  constructor(readonly courseId: string) {
    super(`course_id: duplicate course ${courseId} (already seen on this stream)`, 'duplicate');
    this.name = 'DuplicateCourseError';
  }
}

export class CourseDeduplicator {
  readonly capacity: number;
  readonly scope: 'stream' | 'global';
  /** scope key -> course id -> the input (stream + seq) that claimed it. */
  private readonly seen = new Map<string, Map<string, string>>();
  private readonly order: { key: string; id: string }[] = [];
  private head = 0;
  private size = 0;
  duplicates = 0;

  constructor(options: DeduplicatorOptions = {}) {
    this.capacity = options.capacity ?? 100_000;
    if (!Number.isInteger(this.capacity) || this.capacity < 1) throw new Error(`dedup capacity must be a positive integer, got ${options.capacity}`);
    this.scope = options.scope ?? 'stream';
  }

  /**
   * True when the id is new (and remembers it) or was claimed by this very input (`seq` given and
   * equal: a redelivery); false for a duplicate.
   */
  check(streamId: string, courseId: string, seq?: number, pass?: number): boolean {
    // A looping source's pass N > 0 is its own set: a replayed file is a new pass, not N duplicates.
    const key = (this.scope === 'stream' ? streamId : '*') + (pass ? `\u0000pass${pass}` : '');
    const input = seq === undefined ? '' : `${streamId}\u0000${seq}`;
    let set = this.seen.get(key);
    if (!set) {
      set = new Map();
      this.seen.set(key, set);
    }
    const claimedBy = set.get(courseId);
    if (claimedBy !== undefined) {
      if (input !== '' && claimedBy === input) return true;
      this.duplicates++;
      return false;
    }
    set.set(courseId, input);
    this.order.push({ key, id: courseId });
    this.size++;
    while (this.size > this.capacity) this.evictOldest();
    return true;
  }

  /** Throws DuplicateCourseError (reason 'duplicate') for a duplicate. */
  assertNew(streamId: string, courseId: string, seq?: number, pass?: number): void {
    if (!this.check(streamId, courseId, seq, pass)) throw new DuplicateCourseError(courseId);
  }

  get remembered(): number {
    return this.size;
  }

  private evictOldest(): void {
    const { key, id } = this.order[this.head++];
    const set = this.seen.get(key);
    set?.delete(id);
    if (set && set.size === 0) this.seen.delete(key);
    this.size--;
    if (this.head > 4096 && this.head * 2 > this.order.length) {
      this.order.splice(0, this.head);
      this.head = 0;
    }
  }
}
