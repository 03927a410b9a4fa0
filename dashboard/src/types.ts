// Wire types shared with the server (type-only imports: nothing of the server is bundled).
export type { Prediction } from '../../src/bus/envelope.js';
export type { ModelSummary, StageStats, StreamInfo, SystemStats } from '../../src/gateway/app-context.js';
import type { Prediction } from '../../src/bus/envelope.js';
import type { StreamInfo, SystemStats } from '../../src/gateway/app-context.js';

export type ServerMessage =
  | { type: 'prediction'; prediction: Prediction }
  | { type: 'stats'; stats: SystemStats }
  | { type: 'streams'; streams: StreamInfo[] }
  | { type: 'error'; error: string };
