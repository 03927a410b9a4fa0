import type { Logger } from 'pino';
import type { Bus, BusMessage, Consumer, Headers, MessageBatch, Producer } from './bus.js';
import { MessageTooLargeError } from './bus.js';
import { type Message, type MessageType, EnvelopeError, decodeMessage, encodeMessage } from './envelope.js';
import { deadLetterTopic } from './topics.js';
import { stageMetrics } from '../core/metrics.js';
import { childLogger } from '../core/logger.js';
import { redactSecrets } from '../core/redact.js';

/** An input message after decoding, with where it came from. */
export interface StageInput {
  message: Message;
  source: BusMessage;
}

export interface StageOutput {
  topic: string;
  message: Message;
}

/** Per-input result: outputs to publish, or an error that dead-letters this input. */
export type StageResult = StageOutput[] | Error;

export interface StageDefinition {
  /** e.g. "features:audio"; the consumer group is `streamlens.<name>`. */
  name: string;
  input: string;
  accepts: readonly MessageType[];
  maxBatchSize?: number;
  /** Attempts of a batch that keeps throwing before its messages are tried one by one. */
  maxAttempts?: number;
  /** Batch-aware processing; returns one result per input, in order. A throw means "retry". */
  process(batch: StageInput[]): Promise<StageResult[]>;
  /** Called once on start, before the first message is consumed (load and warm models); a failure is logged, not fatal. */
  warmUp?(): Promise<void>;
  /** Called once on stop, after the consumer drained. */
  close?(): Promise<void>;
}

export class PermanentError extends Error {
  constructor(
    message: string,
    readonly reason: string,
  ) {
    super(message);
    this.name = 'PermanentError';
  }
}

/**
 * The stage cannot work right now (its model is not loaded, a dependency is down): the batch is
 * redelivered until it can, never dead-lettered — the input is fine, the stage is not.
 */
export class StageUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StageUnavailableError';
  }
}

/** Short machine-friendly reason for metrics labels and DLQ headers. */
export function reasonOf(e: unknown): string {
  if (e instanceof EnvelopeError) return e.reason;
  if (e instanceof PermanentError) return e.reason;
  if (e instanceof MessageTooLargeError) return 'size';
  return 'processing';
}

/**
 * consume -> decode -> process (batch-aware) -> publish -> commit.
 * Bad input (undecodable, unknown version, oversized output, a per-message error) goes to
 * `<input>.dlq` with the original bytes and the reason; the stage keeps running. A whole batch
 * that throws is redelivered; after `maxAttempts` its messages are processed one by one so a
 * single poison message is dead-lettered instead of blocking the partition.
 */
export class StageRunner {
  private consumer?: Consumer;
  private producer: Producer;
  private readonly log: Logger;
  private readonly attempts = new Map<string, number>();
  private lagTimer?: NodeJS.Timeout;
  /** The last attempt failed because the stage itself was unavailable: keep retrying, never isolate. */
  private unavailable = false;

  constructor(
    private readonly bus: Bus,
    readonly stage: StageDefinition,
  ) {
    this.producer = bus.producer();
    this.log = childLogger({ stage: stage.name });
  }

  get groupId(): string {
    return `streamlens.${this.stage.name}`;
  }

  async start(): Promise<void> {
    const s = this.stage;
    await this.bus.ensureTopics([{ name: s.input, partitions: 4 }, { name: deadLetterTopic(s.input), partitions: 4 }]);
    if (s.warmUp) {
      const t0 = performance.now();
      await s.warmUp().then(
        () => this.log.info({ ms: Math.round(performance.now() - t0) }, 'stage warmed up'),
        (e: Error) => this.log.warn({ err: e.message }, 'stage cannot warm up; its model loads on first use'),
      );
    }
    this.consumer = this.bus.consumer({ groupId: this.groupId, topics: [s.input], maxBatchSize: s.maxBatchSize ?? 64 });
    await this.consumer.run((batch) => this.handle(batch));
    this.lagTimer = setInterval(() => {
      this.bus.lag(this.groupId, s.input).then(
        (lag) => stageMetrics.consumerLag.set({ stage: s.name, topic: s.input }, lag),
        () => undefined,
      );
    }, 2000);
    this.lagTimer.unref();
    this.log.info({ input: s.input, bus: this.bus.kind }, 'stage started');
  }

  async stop(): Promise<void> {
    if (this.lagTimer) clearInterval(this.lagTimer);
    await this.consumer?.stop();
    await this.stage.close?.();
    this.log.info('stage stopped');
  }

  private async handle(batch: MessageBatch): Promise<void> {
    const s = this.stage;
    stageMetrics.messagesIn.inc({ stage: s.name }, batch.messages.length);
    const valid: StageInput[] = [];
    for (const source of batch.messages) {
      try {
        const message = decodeMessage(source.value);
        if (!s.accepts.includes(message.type)) {
          throw new EnvelopeError(`stage ${s.name} does not accept messages of type ${message.type}`, 'unknown-type');
        }
        valid.push({ message, source });
      } catch (e) {
        await this.deadLetter(source, e);
      }
    }
    if (valid.length === 0) return;

    const key = `${batch.topic}/${batch.partition}/${batch.messages[0].offset}`;
    const attempt = (this.attempts.get(key) ?? 0) + 1;
    const maxAttempts = s.maxAttempts ?? 3;
    const started = performance.now();
    let results: StageResult[];
    if (attempt <= maxAttempts || this.unavailable) {
      try {
        results = await s.process(valid);
        this.unavailable = false;
        if (results.length !== valid.length) throw new Error(`stage ${s.name} returned ${results.length} results for ${valid.length} inputs`);
      } catch (e) {
        stageMetrics.errors.inc({ stage: s.name, reason: e instanceof StageUnavailableError ? 'unavailable' : reasonOf(e) });
        this.unavailable = e instanceof StageUnavailableError;
        if (this.unavailable && attempt % 50 === 1) this.log.error({ err: (e as Error).message }, 'stage unavailable; input waits on the bus');
        this.attempts.set(key, attempt);
        if (!this.unavailable) this.log.warn({ err: (e as Error).message, attempt, key }, 'batch failed; it will be redelivered');
        throw e;
      }
    } else {
      // Isolate the poison message(s): one by one; what still throws is dead-lettered.
      results = [];
      for (const input of valid) {
        try {
          const [r] = await s.process([input]);
          results.push(r);
        } catch (e) {
          results.push(e instanceof Error ? e : new Error(String(e)));
        }
      }
    }
    this.attempts.delete(key);
    const elapsed = performance.now() - started;
    stageMetrics.processingSeconds.observe({ stage: s.name }, elapsed / 1000);
    stageMetrics.batchSize.observe({ stage: s.name }, valid.length);
    await this.publish(valid, results, elapsed / valid.length);
  }

  private async publish(inputs: StageInput[], results: StageResult[], perMessageMs: number): Promise<void> {
    const s = this.stage;
    const byTopic = new Map<string, ReturnType<typeof encodeMessage>[]>();
    const deadLetters: { source: BusMessage; error: unknown }[] = [];
    const now = Date.now();
    for (let i = 0; i < inputs.length; i++) {
      const r = results[i];
      if (r instanceof Error) {
        deadLetters.push({ source: inputs[i].source, error: r });
        continue;
      }
      const encoded: { topic: string; rec: ReturnType<typeof encodeMessage> }[] = [];
      try {
        for (const out of r) {
          const env = out.message.env;
          env.stageTimes = { ...(env.stageTimes ?? {}), [s.name]: round3(perMessageMs) };
          const rec = encodeMessage(out.message);
          if (rec.value.length > this.bus.maxMessageBytes) throw new MessageTooLargeError(rec.value.length, this.bus.maxMessageBytes);
          encoded.push({ topic: out.topic, rec });
          stageMetrics.endToEndSeconds.observe({ stage: s.name }, Math.max(0, now - env.capturedAt) / 1000);
        }
      } catch (e) {
        deadLetters.push({ source: inputs[i].source, error: e });
        continue;
      }
      for (const { topic, rec } of encoded) {
        let list = byTopic.get(topic);
        if (!list) byTopic.set(topic, (list = []));
        list.push(rec);
      }
    }
    // Outputs are acknowledged before the handler resolves, i.e. before the input offset is committed.
    // Outputs first: when their send fails the batch is redelivered before any dead letter went out,
    // so a retried batch does not repeat its dead letters.
    for (const [topic, recs] of byTopic) {
      await this.producer.send(topic, recs);
      stageMetrics.messagesOut.inc({ stage: s.name, topic }, recs.length);
    }
    for (const d of deadLetters) await this.deadLetter(d.source, d.error);
  }

  private async deadLetter(source: BusMessage, error: unknown): Promise<void> {
    await sendToDeadLetter(this.producer, this.bus.maxMessageBytes, this.stage.name, source, error);
    this.log.warn({ reason: reasonOf(error), err: (error as Error)?.message, offset: source.offset, key: source.key }, 'dead-lettered');
  }
}

/** Publishes the original message to `<topic>.dlq` with the reason in headers. */
export async function sendToDeadLetter(
  producer: Producer,
  maxBytes: number,
  stage: string,
  source: Pick<BusMessage, 'topic' | 'partition' | 'offset' | 'key' | 'value' | 'headers'>,
  error: unknown,
): Promise<void> {
  const reason = reasonOf(error);
  const headers: Headers = {
    ...source.headers,
    'dlq.reason': reason,
    'dlq.error': truncate(redactSecrets(error instanceof Error ? error.message : String(error)), 2000),
    'dlq.stage': stage,
    'dlq.topic': source.topic,
    'dlq.partition': String(source.partition),
    'dlq.offset': String(source.offset),
    'dlq.originalBytes': String(source.value.length),
    'dlq.at': String(Date.now()),
  };
  // The original travels whole unless it is itself too large for the bus; then its head does.
  const limit = maxBytes - 64 * 1024;
  const value = source.value.length > limit ? source.value.subarray(0, limit) : source.value;
  if (value !== source.value) headers['dlq.truncated'] = 'true';
  await producer.send(deadLetterTopic(source.topic), [{ key: source.key || 'unknown', value, headers }]);
  stageMetrics.deadLettered.inc({ stage, reason });
}

function truncate(s: string, n: number): string {
  return s.length > n ? s.slice(0, n) + '…' : s;
}

function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}
