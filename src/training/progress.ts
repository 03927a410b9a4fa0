/**
 * Training progress on a stream (stderr by default): a redrawn bar with ETA when the stream is a
 * TTY (or when asked), otherwise one line per epoch.
 */

export type ProgressMode = 'auto' | 'bar' | 'lines' | 'none';

export interface ProgressStream {
  write(chunk: string): unknown;
  isTTY?: boolean;
}

export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '?';
  if (seconds < 60) return `${seconds.toFixed(seconds < 10 ? 1 : 0)}s`;
  const m = Math.floor(seconds / 60);
  const s = Math.round(seconds % 60);
  if (m < 60) return `${m}m${String(s).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}

function formatLogs(logs: Record<string, number>): string {
  return Object.entries(logs)
    .map(([k, v]) => `${k} ${Math.abs(v) >= 1e-3 || v === 0 ? v.toFixed(4) : v.toExponential(2)}`)
    .join('  ');
}

export class TrainingProgress {
  private readonly mode: 'bar' | 'lines' | 'none';
  private readonly startedAt: number;
  private epochStartedAt = 0;
  private lastDraw = 0;
  private epochDurations: number[] = [];

  constructor(
    private readonly totalEpochs: number,
    mode: ProgressMode = 'auto',
    private readonly stream: ProgressStream = process.stderr,
    private readonly now: () => number = Date.now,
  ) {
    this.mode = mode === 'auto' ? (stream.isTTY ? 'bar' : 'lines') : mode;
    this.startedAt = now();
    this.epochStartedAt = this.startedAt;
  }

  epochStart(): void {
    this.epochStartedAt = this.now();
    this.lastDraw = 0;
  }

  /** Redraw the bar after batch `batchIndex` (0-based) of `batchesPerEpoch` (if known). */
  batchEnd(epoch: number, batchIndex: number, batchesPerEpoch: number | undefined, logs: Record<string, number>): void {
    if (this.mode !== 'bar') return;
    const t = this.now();
    const done = batchIndex + 1;
    if (t - this.lastDraw < 100 && done !== batchesPerEpoch) return; // at most ~10 redraws per second
    this.lastDraw = t;
    const elapsed = (t - this.epochStartedAt) / 1000;
    const width = 24;
    let bar: string;
    let eta = '';
    if (batchesPerEpoch && batchesPerEpoch > 0) {
      const frac = Math.min(1, done / batchesPerEpoch);
      const filled = Math.round(frac * width);
      bar = `[${'='.repeat(Math.max(0, filled - 1))}${filled > 0 ? '>' : ''}${' '.repeat(width - filled)}] ${done}/${batchesPerEpoch}`;
      eta = `  ETA ${formatDuration((elapsed / done) * (batchesPerEpoch - done))}`;
    } else {
      bar = `batch ${done}`;
    }
    const loss = logs.loss !== undefined ? `  loss ${logs.loss.toFixed(4)}` : '';
    this.stream.write(`\r\x1b[2Kepoch ${epoch + 1}/${this.totalEpochs} ${bar}${loss}${eta}`);
  }

  epochEnd(epoch: number, logs: Record<string, number>, note = ''): void {
    const t = this.now();
    const seconds = (t - this.epochStartedAt) / 1000;
    this.epochDurations.push(seconds);
    if (this.mode === 'none') return;
    const mean = this.epochDurations.reduce((a, b) => a + b, 0) / this.epochDurations.length;
    const remaining = this.totalEpochs - (epoch + 1);
    const eta = remaining > 0 ? `  ETA ${formatDuration(mean * remaining)}` : '';
    const prefix = this.mode === 'bar' ? '\r\x1b[2K' : '';
    this.stream.write(
      `${prefix}epoch ${epoch + 1}/${this.totalEpochs}  ${formatLogs(logs)}  ${formatDuration(seconds)}${eta}${note ? `  ${note}` : ''}\n`,
    );
  }

  finish(message: string): void {
    if (this.mode === 'none') return;
    this.stream.write(`${message} (${formatDuration((this.now() - this.startedAt) / 1000)})\n`);
  }
}
