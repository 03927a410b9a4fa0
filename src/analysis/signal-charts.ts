/**
 * Charts of a signal and its time-frequency features: the waveform (min / max envelope), a
 * heatmap over time x frequency (spectrogram, mel spectrogram) and a line over time (a per-frame
 * feature such as the spectral roll-off). Vega-Lite specs, rendered like every chart (charts.ts).
 */
import { base, type AxisOptions, type ChartOptions, type ChartSpec } from './charts.js';

/** Waveform as the min / max of the samples in each of `points` buckets; the y axis spans ± the largest |sample|. */
export function waveformChart(samples: ArrayLike<number>, sampleRate: number, options: ChartOptions & { points?: number }): ChartSpec {
  if (samples.length === 0) throw new Error('waveform chart needs samples');
  const points = Math.max(1, Math.min(options.points ?? 800, samples.length));
  const per = samples.length / points;
  const values = Array.from({ length: points }, (_, b) => {
    let lo = Infinity;
    let hi = -Infinity;
    for (let i = Math.floor(b * per); i < Math.max(Math.floor((b + 1) * per), Math.floor(b * per) + 1); i++) {
      lo = Math.min(lo, samples[i]);
      hi = Math.max(hi, samples[i]);
    }
    return { t: (b * per) / sampleRate, lo, hi };
  });
  const peak = Math.max(1e-6, ...values.map((v) => Math.max(-v.lo, v.hi)));
  return {
    ...base(options),
    width: options.width ?? 900,
    height: options.height ?? 160,
    data: { values },
    mark: { type: 'area', color: '#4c78a8', interpolate: 'step-after' },
    encoding: {
      x: { field: 't', type: 'quantitative', title: 'Time (s)' },
      y: { field: 'lo', type: 'quantitative', title: 'Amplitude (full scale = 1)', scale: { domain: [-peak, peak] } },
      y2: { field: 'hi' },
    },
  } as ChartSpec;
}

export interface TimeFrequencyGrid {
  /** Start time of each frame (s); frame i covers [times[i], times[i] + frameSeconds). */
  times: readonly number[];
  frameSeconds: number;
  /** Band edges on the y axis, bands + 1 increasing values (Hz, or band numbers). */
  edges: readonly number[];
  /** values[i][k]: frame i, band k. */
  values: readonly ArrayLike<number>[];
}

/** Heatmap of a time x frequency grid (one rectangle per frame and band, viridis colours). */
export function timeFrequencyChart(grid: TimeFrequencyGrid, options: ChartOptions & AxisOptions & { valueTitle: string }): ChartSpec {
  const bands = grid.edges.length - 1;
  if (grid.times.length === 0 || bands < 1) throw new Error('time-frequency chart needs at least one frame and one band');
  if (grid.values.length !== grid.times.length) throw new Error(`time-frequency chart: ${grid.values.length} rows of values for ${grid.times.length} frames`);
  const values = grid.times.flatMap((t, i) =>
    Array.from({ length: bands }, (_, k) => ({ t0: t, t1: t + grid.frameSeconds, b0: grid.edges[k], b1: grid.edges[k + 1], v: grid.values[i][k] })),
  );
  return {
    ...base(options),
    width: options.width ?? 900,
    height: options.height ?? 240,
    data: { values },
    mark: { type: 'rect' },
    encoding: {
      x: { field: 't0', type: 'quantitative', title: options.xTitle ?? 'Time (s)', scale: { nice: false } },
      x2: { field: 't1' },
      y: { field: 'b0', type: 'quantitative', title: options.yTitle ?? 'Frequency (Hz)', scale: { domain: [grid.edges[0], grid.edges[bands]], nice: false }, axis: { grid: false } },
      y2: { field: 'b1' },
      color: { field: 'v', type: 'quantitative', title: options.valueTitle, scale: { scheme: 'viridis' } },
    },
  } as ChartSpec;
}

/** A per-frame value over time, as a line. */
export function timeSeriesChart(times: readonly number[], values: readonly number[], options: ChartOptions & AxisOptions): ChartSpec {
  if (times.length !== values.length || times.length === 0) throw new Error(`time series chart: ${times.length} times and ${values.length} values`);
  return {
    ...base(options),
    width: options.width ?? 900,
    height: options.height ?? 180,
    data: { values: times.map((t, i) => ({ t, v: values[i] })) },
    mark: { type: 'line', color: '#e45756' },
    encoding: {
      x: { field: 't', type: 'quantitative', title: options.xTitle ?? 'Time (s)' },
      y: { field: 'v', type: 'quantitative', title: options.yTitle ?? 'Value' },
    },
  } as ChartSpec;
}
