import { setTimeout as sleep } from 'node:timers/promises';
import { MessageTooLargeError, type Producer, type ProduceRecord } from '../bus/bus.js';
import { childLogger } from '../core/logger.js';
import { stageMetrics } from '../core/metrics.js';

const log = childLogger({ component: 'ingest' });

export interface DurableSendOptions {
  signal?: AbortSignal;
  /** First retry delay (ms, default 100); doubles up to maxDelayMs. */
  initialDelayMs?: number;
  /** Longest pause between two attempts (ms, default 5000). */
  maxDelayMs?: number;
  /** Names the source in the log. */
  source?: string;
}

/**
 * Sends records and resolves only once the bus acknowledged them. A send the bus refuses because it
 * is down or unreachable (broker restart, network cut, the client's own retries exhausted) is tried
 * again with exponential backoff, for as long as it takes: the source calling this pauses (a file
 * stops reading, a live source's queue keeps its newest items and counts what it drops) and resumes
 * by itself when the bus is back. Nothing is skipped: records are acknowledged in order or the call
 * is still waiting. Errors that a retry cannot fix (a record larger than the bus accepts, a closed
 * bus) are thrown at once; an abort ends the waiting between retries.
 */
export async function sendDurably(producer: Producer, topic: string, records: ProduceRecord[], options: DurableSendOptions = {}): Promise<void> {
  const initial = options.initialDelayMs ?? 100;
  const max = options.maxDelayMs ?? 5000;
  let delay = initial;
  let failedSince: number | undefined;
  for (let attempt = 1; ; attempt++) {
    // An aborted source may still send (its final marker); only the waits between retries end on abort.
    if (attempt > 1) options.signal?.throwIfAborted();
    try {
      await producer.send(topic, records);
      if (failedSince !== undefined) {
        stageMetrics.ingestPaused.dec();
        log.info({ topic, source: options.source, attempts: attempt, pausedMs: Date.now() - failedSince }, 'bus is back; source resumed');
      }
      return;
    } catch (e) {
      if (e instanceof MessageTooLargeError || (e as Error).message === 'bus is closed') {
        if (failedSince !== undefined) stageMetrics.ingestPaused.dec();
        throw e;
      }
      stageMetrics.ingestRetries.inc({ topic });
      if (failedSince === undefined) {
        failedSince = Date.now();
        stageMetrics.ingestPaused.inc();
        log.warn({ topic, source: options.source, err: (e as Error).message }, 'bus did not acknowledge a send; source paused, retrying with backoff');
      }
      try {
        await sleep(delay, undefined, { signal: options.signal });
      } catch (abort) {
        stageMetrics.ingestPaused.dec();
        throw abort;
      }
      delay = Math.min(max, delay * 2);
    }
  }
}
