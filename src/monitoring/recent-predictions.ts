import type { Prediction } from '../bus/envelope.js';
import { capturedAtOfPredictionId } from '../bus/prediction-id.js';
import { truthLabels } from './truth-labels.js';

/** What the gateway keeps of a prediction it showed, so feedback on it can be scored. */
export interface RememberedPrediction {
  id: string;
  streamId: string;
  kind: Prediction['kind'];
  model: string;
  version: string;
  predicted: string;
  /** The true labels feedback may give: the model's classes (the keys of its scores), "unknown", and "silence" for audio. */
  labels: readonly string[];
  /** The true label received, once. */
  feedback?: string;
}

export type Lookup =
  | { found: RememberedPrediction }
  | { missing: 'malformed' | 'forgotten' | 'unknown'; message: string };

/**
 * A bounded map of the latest predictions the gateway forwarded (prediction id -> model, version,
 * predicted label, stream), filled from the prediction stream the gateway already consumes, so
 * feedback works wherever the predictions were made (the multi-process Kafka deployment too). The
 * oldest go first beyond `capacity`; an id older than what is remembered — its capture time, which
 * the id carries, is not after the newest forgotten one, or before this gateway started — is
 * reported as forgotten, any other id as unknown.
 */
export class RecentPredictions {
  private readonly byId = new Map<string, RememberedPrediction>();
  private readonly labelSets = new Map<string, readonly string[]>();
  private newestForgotten = -1;

  constructor(
    readonly capacity = 100_000,
    readonly startedAt = Date.now(),
  ) {}

  get size(): number {
    return this.byId.size;
  }

  remember(p: Prediction & { id: string }): void {
    if (this.byId.has(p.id)) return;
    const classes = Object.keys(p.scores);
    const key = `${p.kind}\u0000${p.model.name}\u0000${p.model.version}\u0000${classes.join('\u0000')}`;
    let labels = this.labelSets.get(key);
    if (!labels) {
      labels = truthLabels(p.kind, classes);
      if (this.labelSets.size > 1000) this.labelSets.clear();
      this.labelSets.set(key, labels);
    }
    this.byId.set(p.id, { id: p.id, streamId: p.streamId, kind: p.kind, model: p.model.name, version: p.model.version, predicted: p.label, labels });
    while (this.byId.size > this.capacity) {
      const oldest = this.byId.keys().next().value!;
      this.byId.delete(oldest);
      this.newestForgotten = Math.max(this.newestForgotten, capturedAtOfPredictionId(oldest) ?? 0);
    }
  }

  lookup(id: string): Lookup {
    const found = this.byId.get(id);
    if (found) return { found };
    const at = capturedAtOfPredictionId(id);
    if (at === undefined) return { missing: 'malformed', message: `"${id.slice(0, 80)}" is not a prediction id (predictions carry theirs in the field "id")` };
    if (at <= this.newestForgotten || at < this.startedAt - 60_000) {
      return {
        missing: 'forgotten',
        message: `prediction ${id} is no longer remembered: this gateway keeps its last ${this.capacity} predictions (since it started at ${new Date(this.startedAt).toISOString()}); send feedback sooner`,
      };
    }
    return { missing: 'unknown', message: `no prediction ${id} was shown by this gateway` };
  }
}
