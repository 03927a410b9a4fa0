import { checkInput, type InferenceSession, type TensorResult } from './session.js';

/** Counts kept by a cascade session (items answered by each stage). */
export interface CascadeCounts {
  items: number;
  /** Items whose fast answer was below the threshold and went to the full model. */
  escalated: number;
}

/**
 * Two-stage inference over one input: the fast session scores every item; items whose top class
 * probability is below `threshold` are scored again by the full session, whose answer replaces the
 * fast one. Each item's answer depends only on that item (never on its batch mates), so micro-
 * batching does not change predictions. Both sessions take the same input tensor and output class
 * probabilities over the same labels.
 */
export class CascadeSession implements InferenceSession {
  readonly runtime: string;
  readonly inputName: string;
  readonly outputName: string;
  readonly counts: CascadeCounts = { items: 0, escalated: 0 };

  constructor(
    private readonly fast: InferenceSession,
    private readonly full: InferenceSession,
    readonly threshold: number,
    /** Called after each batch with how many items each stage answered (for metrics). */
    private readonly observe?: (answeredFast: number, escalated: number) => void,
  ) {
    if (!(threshold > 0 && threshold <= 1)) throw new Error(`cascade threshold must be in (0, 1], got ${threshold}`);
    this.runtime = `${full.runtime}+cascade`;
    this.inputName = full.inputName;
    this.outputName = full.outputName;
  }

  async run(input: Float32Array, shape: readonly number[]): Promise<TensorResult> {
    checkInput(input, shape, 'cascade');
    const n = shape[0];
    const itemSize = input.length / n;
    const first = await this.fast.run(input, shape);
    const classes = first.data.length / n;
    if (!Number.isInteger(classes) || classes < 1) throw new Error(`cascade: fast model returned ${first.data.length} values for ${n} items`);
    const escalate: number[] = [];
    for (let i = 0; i < n; i++) {
      let top = 0;
      for (let c = 0; c < classes; c++) top = Math.max(top, first.data[i * classes + c]);
      if (!(top >= this.threshold)) escalate.push(i);
    }
    this.counts.items += n;
    this.counts.escalated += escalate.length;
    this.observe?.(n - escalate.length, escalate.length);
    if (escalate.length === 0) return first;
    const subset = escalate.length === n ? input : new Float32Array(escalate.length * itemSize);
    if (subset !== input) escalate.forEach((i, j) => subset.set(input.subarray(i * itemSize, (i + 1) * itemSize), j * itemSize));
    const second = await this.full.run(subset, [escalate.length, ...shape.slice(1)]);
    if (second.data.length !== escalate.length * classes) {
      throw new Error(`cascade: full model returned ${second.data.length} values for ${escalate.length} x ${classes} classes`);
    }
    const out = first.data.slice();
    escalate.forEach((i, j) => out.set(second.data.subarray(j * classes, (j + 1) * classes), i * classes));
    return { data: out, shape: first.shape };
  }

  async dispose(): Promise<void> {
    await Promise.all([this.fast.dispose(), this.full.dispose()]);
  }
}
