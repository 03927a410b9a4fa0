/**
 * Charts of distributions beyond charts.ts: a per-feature summary (quartile box, whiskers at the
 * Tukey fences, median and mean) with one row and one scale per feature, and histograms with their
 * kernel density estimates drawn over them on the count scale.
 */
import { type AxisOptions, type ChartOptions, type ChartSpec, chartBase, chartSize } from './charts.js';

/** One feature's summary as drawn by {@link featureSummaryChart}. */
export interface FeatureSummaryDatum {
  feature: string;
  q1: number;
  median: number;
  q3: number;
  mean: number;
  /** Whisker ends: the extreme values inside the 1.5 IQR fences. */
  whiskerLow: number;
  whiskerHigh: number;
}

/**
 * One row per feature, each on its own x scale (features differ by orders of magnitude): a grey
 * rule between the whiskers, a box from Q1 to Q3, a black tick at the median and a red dot at the mean.
 */
export function featureSummaryChart(rows: readonly FeatureSummaryDatum[], options: ChartOptions): ChartSpec {
  if (rows.length === 0) throw new Error('feature summary chart needs at least one feature');
  for (const r of rows) {
    for (const k of ['q1', 'median', 'q3', 'mean', 'whiskerLow', 'whiskerHigh'] as const) {
      if (!Number.isFinite(r[k])) throw new Error(`feature ${r.feature}: ${k} is ${r[k]}`);
    }
  }
  const x = { type: 'quantitative', title: null, scale: { zero: false }, axis: { format: '.10~g' } };
  return {
    ...chartBase(options),
    data: { values: rows.map((r) => ({ ...r })) },
    facet: { row: { field: 'feature', type: 'nominal', sort: rows.map((r) => r.feature), title: null, header: { labelAngle: 0, labelAlign: 'left', labelFontSize: 11 } } },
    spec: {
      width: options.width ?? 560,
      height: options.height ?? 26,
      layer: [
        { mark: { type: 'rule', color: '#888' }, encoding: { x: { field: 'whiskerLow', ...x }, x2: { field: 'whiskerHigh' } } },
        { mark: { type: 'bar', height: 16, color: '#9ecae1', stroke: '#4c78a8' }, encoding: { x: { field: 'q1', ...x }, x2: { field: 'q3' } } },
        { mark: { type: 'tick', color: 'black', thickness: 2, size: 18 }, encoding: { x: { field: 'median', ...x } } },
        { mark: { type: 'point', filled: true, color: '#d62728', size: 40 }, encoding: { x: { field: 'mean', ...x } } },
      ],
    },
    resolve: { scale: { x: 'independent' } },
  } as ChartSpec;
}

/** A density curve evaluated on a grid (e.g. from gaussianKde). */
export interface DensityCurve {
  x: readonly number[];
  density: readonly number[];
}

/**
 * Histogram (fixed bins: `bins` equal steps over the pooled range) of one or several named samples,
 * each overlaid with its density curve scaled to counts (density × n × bin width), so bar heights
 * and curve read on the same axis.
 */
export function histogramKdeChart(
  samples: Record<string, readonly number[]>,
  densities: Record<string, DensityCurve>,
  options: ChartOptions & AxisOptions & { bins?: number },
): ChartSpec {
  const groups = Object.keys(samples);
  if (groups.length === 0) throw new Error('histogram needs at least one sample');
  const all = groups.flatMap((g) => samples[g].filter(Number.isFinite));
  if (all.length === 0) throw new Error('histogram needs at least one finite value');
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of all) {
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  if (hi === lo) hi = lo + 1;
  const bins = options.bins ?? 30;
  const step = (hi - lo) / bins;
  const bars = groups.flatMap((group) => samples[group].filter(Number.isFinite).map((value) => ({ group, value })));
  const curves = groups.flatMap((group) => {
    const d = densities[group];
    if (!d) throw new Error(`no density curve for sample ${group}`);
    const n = samples[group].filter(Number.isFinite).length;
    return d.x.map((x, i) => ({ group, x, count: d.density[i] * n * step }));
  });
  const grouped = groups.length > 1;
  const color = grouped ? { color: { field: 'group', type: 'nominal', title: 'Group' } } : {};
  return {
    ...chartBase(options),
    ...chartSize(options),
    layer: [
      {
        data: { values: bars },
        mark: { type: 'bar', opacity: grouped ? 0.5 : 0.8, binSpacing: 1 },
        encoding: {
          x: { field: 'value', type: 'quantitative', bin: { extent: [lo, hi + step * 1e-9], step }, title: options.xTitle ?? 'Value' },
          y: { aggregate: 'count', type: 'quantitative', title: options.yTitle ?? 'Count', stack: null },
          ...color,
        },
      },
      {
        data: { values: curves },
        mark: { type: 'line', strokeWidth: 2, ...(grouped ? {} : { color: '#d62728' }) },
        encoding: {
          x: { field: 'x', type: 'quantitative' },
          y: { field: 'count', type: 'quantitative' },
          ...color,
        },
      },
    ],
  } as ChartSpec;
}
