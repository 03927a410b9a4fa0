import type { StreamConfig } from '../core/config.js';

/** A running stream as the stream manager (src/ingest/stream-manager.ts) tracks it and the gateway lists it. */
export interface StreamInfo {
  id: string;
  media: 'audio' | 'video' | 'course';
  source: StreamConfig['source'];
  model: string;
  /** Pinned model version (absent: the highest that loads). */
  modelVersion?: string;
  /** Models scored beside the primary one (the route's companions). */
  companions?: string[];
  status: 'starting' | 'running' | 'ended' | 'error';
  error?: string;
  startedAt: number;
  /** Messages the bus acknowledged for the source, and items it dropped (backpressure) or dead-lettered at ingest. */
  published: number;
  dropped: number;
}
