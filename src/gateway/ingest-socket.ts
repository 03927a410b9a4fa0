import type { WebSocket } from 'ws';
import type { AppContext } from './app-context.js';
import { childLogger } from '../core/logger.js';
import { stageMetrics } from '../core/metrics.js';
import { CLOSE, closeWith } from './close-codes.js';
import { gatewayMetrics } from './gateway-metrics.js';
import { HttpError } from './http-util.js';
import { TokenBucket } from './token-bucket.js';
import { PIPELINE_SAMPLE_RATE } from '../core/audio-format.js';

const log = childLogger({ component: 'gateway-ingest' });

export interface IngestLimits {
  /** Largest binary message (one PCM chunk or one JPEG). */
  maxMessageBytes: number;
  /** Sustained bytes per second per connection (bursts of twice that pass). */
  maxBytesPerSec: number;
  /** Sustained messages per second per connection (bursts of twice that pass). */
  maxMessagesPerSec: number;
  /** Ingest calls awaiting the app per connection; beyond it messages are dropped (and counted). */
  maxInFlight: number;
}

export interface IngestTarget {
  streamId: string;
  media: 'audio' | 'video';
  sampleRate: number;
}

const STREAM_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/** Validates the query of `/ws/ingest?stream=<id>&media=audio|video&sampleRate=<hz>`; throws HttpError(400) naming the parameter. */
export function parseIngestQuery(url: URL): IngestTarget {
  const streamId = url.searchParams.get('stream') ?? '';
  if (!STREAM_ID.test(streamId)) throw new HttpError(400, 'query parameter "stream": letters, digits, ".", "_" and "-", at most 64, required');
  const media = url.searchParams.get('media');
  if (media !== 'audio' && media !== 'video') throw new HttpError(400, 'query parameter "media" must be "audio" or "video"');
  let sampleRate = PIPELINE_SAMPLE_RATE;
  if (media === 'audio') {
    const raw = url.searchParams.get('sampleRate');
    sampleRate = raw === null ? PIPELINE_SAMPLE_RATE : Number(raw);
    if (sampleRate !== PIPELINE_SAMPLE_RATE) {
      throw new HttpError(400, `query parameter "sampleRate" must be ${PIPELINE_SAMPLE_RATE} (mono Int16 PCM; resample before sending, as the dashboard does with Web Audio)`);
    }
  }
  return { streamId, media, sampleRate };
}

function isJpeg(b: Buffer): boolean {
  return b.length >= 4 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff;
}

/** Copies PCM bytes into an aligned Int16Array (Int16LE on the wire). */
function pcmFrom(b: Buffer): Int16Array {
  const out = new Int16Array(b.length / 2);
  new Uint8Array(out.buffer).set(b);
  return out;
}

/**
 * Serves one binary ingest connection: each message is one Int16LE PCM chunk (audio) or one JPEG
 * (video). Enforces size and rate limits (violations close the socket with a code and reason and
 * are counted) and never lets a producer queue unbounded work: beyond `maxInFlight` pending ingest
 * calls, messages are dropped and counted.
 */
export function serveIngestSocket(ws: WebSocket, target: IngestTarget, app: AppContext, limits: IngestLimits, onEnd: () => void): void {
  const bytes = new TokenBucket(limits.maxBytesPerSec * 2, limits.maxBytesPerSec);
  const messages = new TokenBucket(limits.maxMessagesPerSec * 2, limits.maxMessagesPerSec);
  let inFlight = 0;
  let refused = false;
  const reject = (code: number, reason: string, label: string) => {
    if (refused) return;
    refused = true;
    gatewayMetrics.rejected.inc({ where: 'ws-ingest', reason: label });
    log.warn({ stream: target.streamId, code, reason }, 'ingest connection closed');
    closeWith(ws, code, reason);
  };

  ws.on('message', (data, isBinary) => {
    if (refused) return; // messages already in flight after a violation are discarded
    if (!isBinary) return reject(CLOSE.unsupportedData, 'ingest takes binary messages only (Int16LE PCM or one JPEG per message)', 'text');
    const buf = Array.isArray(data) ? Buffer.concat(data) : Buffer.isBuffer(data) ? data : Buffer.from(data);
    if (buf.length > limits.maxMessageBytes) {
      return reject(CLOSE.messageTooBig, `message of ${buf.length} bytes is over the limit of ${limits.maxMessageBytes} bytes`, 'too-large');
    }
    if (!messages.take(1)) return reject(CLOSE.policyViolation, `rate limit exceeded: more than ${limits.maxMessagesPerSec} messages per second`, 'rate');
    if (!bytes.take(buf.length)) return reject(CLOSE.policyViolation, `rate limit exceeded: more than ${limits.maxBytesPerSec} bytes per second`, 'rate');
    if (target.media === 'audio' && buf.length % 2 !== 0) {
      return reject(CLOSE.invalidPayload, `PCM message of ${buf.length} bytes has an odd length (Int16LE mono expected)`, 'bad-payload');
    }
    if (target.media === 'video' && !isJpeg(buf)) return reject(CLOSE.invalidPayload, 'video message is not a JPEG (one JPEG image per message expected)', 'bad-payload');
    if (buf.length === 0) return;
    if (inFlight >= limits.maxInFlight) {
      stageMetrics.dropped.inc({ where: 'ws-ingest', reason: 'backpressure' });
      return;
    }
    inFlight++;
    gatewayMetrics.ingestBytes.inc({ media: target.media }, buf.length);
    const done = target.media === 'audio' ? app.ingest.audio(target.streamId, pcmFrom(buf), target.sampleRate) : app.ingest.frame(target.streamId, buf);
    done.then(
      () => {
        inFlight--;
      },
      (e: Error) => {
        inFlight--;
        reject(CLOSE.invalidPayload, `ingest failed: ${e.message}`, 'ingest-error');
      },
    );
  });
  ws.on('error', (e: Error & { code?: string }) => {
    if (e.code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH') gatewayMetrics.rejected.inc({ where: 'ws-ingest', reason: 'too-large' });
    log.warn({ stream: target.streamId, err: e.message }, 'ingest socket error');
  });
  ws.on('close', () => onEnd());
}
