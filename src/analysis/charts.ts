/**
 * Server-side charts: Vega-Lite specs compiled with vega-lite, rendered headlessly by vega to SVG
 * (renderer 'none', no browser or canvas) and converted to PNG with sharp (librsvg, system fonts).
 *
 * Every builder returns a plain Vega-Lite spec; render it with {@link renderSvg} or {@link renderPng}.
 */
import sharp from 'sharp';
import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';
import { childLogger } from '../core/logger.js';
import type { ConfusionMatrix } from './confusion.js';
import { normalizeConfusionMatrix, type ConfusionNormalization } from './confusion.js';

/** A Vega-Lite specification. */
export type ChartSpec = TopLevelSpec;

/** Options shared by every chart builder. */
export interface ChartOptions {
  /** Chart title (required: charts must say what they show). */
  title: string;
  /** Optional subtitle, e.g. data set and run id. */
  subtitle?: string;
  /** Plot width in pixels (default 420). */
  width?: number;
  /** Plot height in pixels (default 320). */
  height?: number;
}

const SCHEMA = 'https://vega.github.io/schema/vega-lite/v6.json';

const CONFIG = {
  background: 'white',
  font: 'DejaVu Sans, Liberation Sans, Arial, sans-serif',
  title: { fontSize: 15, subtitleFontSize: 11, anchor: 'start' },
  axis: { labelFontSize: 11, titleFontSize: 12, grid: true },
  legend: { labelFontSize: 11, titleFontSize: 12, labelLimit: 320, titleLimit: 320 },
  view: { stroke: '#bbb' },
};

/** Schema, title, config and padding every chart shares (also used by signal-charts.ts). */
export function base(options: ChartOptions): Record<string, unknown> {
  if (!options.title || typeof options.title !== 'string') throw new Error('chart title is required');
  return {
    $schema: SCHEMA,
    title: options.subtitle ? { text: options.title, subtitle: options.subtitle } : options.title,
    config: CONFIG,
    padding: 10,
  };
}

const size = (o: ChartOptions, w = 420, h = 320) => ({ width: o.width ?? w, height: o.height ?? h });

/**
 * Vega / Vega-Lite log through this: their warnings (e.g. "Dropping sort property" for a sort the
 * mark ignores) are notes for whoever writes chart specs, so they go to the debug log, not the
 * console of someone running a report; errors stay errors.
 */
let chartLog: import('pino').Logger | undefined;
const log = () => (chartLog ??= childLogger({ component: 'charts' }));
const text = (args: readonly unknown[]) => args.map((a) => (typeof a === 'string' ? a : JSON.stringify(a))).join(' ');
const chartLogger = {
  level(this: unknown, _level?: number) {
    return _level === undefined ? vega.Debug : chartLogger;
  },
  error: (...args: readonly unknown[]) => (log().error(text(args)), chartLogger),
  warn: (...args: readonly unknown[]) => (log().debug(text(args)), chartLogger),
  info: (...args: readonly unknown[]) => (log().debug(text(args)), chartLogger),
  debug: (...args: readonly unknown[]) => (log().debug(text(args)), chartLogger),
} as unknown as ReturnType<typeof vega.logger>;

/** Render a Vega-Lite spec to an SVG string (no browser needed). */
export async function renderSvg(spec: ChartSpec): Promise<string> {
  const compiled = compile(spec, { logger: chartLogger }).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: 'none', logger: chartLogger, logLevel: vega.Debug });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/** Width and height declared on a rendered SVG's root element. */
export function svgSize(svg: string): { width: number; height: number } {
  const m = /<svg[^>]*\swidth="([\d.]+)"[^>]*\sheight="([\d.]+)"/.exec(svg);
  if (!m) throw new Error('SVG has no width/height attributes');
  return { width: Number(m[1]), height: Number(m[2]) };
}

/**
 * Render a spec to PNG. `scale` (default 2) multiplies the SVG's pixel size, so the PNG is
 * round(svgWidth·scale) × round(svgHeight·scale).
 */
export async function renderPng(spec: ChartSpec, options: { scale?: number } = {}): Promise<Buffer> {
  return svgToPng(await renderSvg(spec), options.scale ?? 2);
}

/** Rasterise an SVG string with sharp at `scale` pixels per SVG unit. */
export async function svgToPng(svg: string, scale = 2): Promise<Buffer> {
  if (!(scale > 0)) throw new Error(`scale must be positive, got ${scale}`);
  return sharp(Buffer.from(svg), { density: 72 * scale }).png().toBuffer();
}

const finite = (v: number) => Number.isFinite(v);

/**
 * Confusion-matrix heatmap: true label on the y axis, predicted on x, each cell labelled with its count
 * (and the row/column/total share when `normalize` is given; colour follows the normalised value).
 */
export function confusionMatrixChart(cm: ConfusionMatrix, options: ChartOptions & { normalize?: ConfusionNormalization }): ChartSpec {
  const norm = options.normalize ? normalizeConfusionMatrix(cm, options.normalize) : undefined;
  const labels = cm.labels.map(String);
  const values = cm.counts.flatMap((row, i) =>
    row.map((count, j) => ({
      actual: labels[i],
      predicted: labels[j],
      count,
      value: norm ? norm[i][j] : count,
      text: norm ? `${count} (${(norm[i][j] * 100).toFixed(0)}%)` : String(count),
    })),
  );
  const max = Math.max(...values.map((v) => v.value), 1e-12);
  const cell = Math.max(28, Math.min(70, 420 / labels.length));
  return {
    ...base(options),
    width: options.width ?? cell * labels.length,
    height: options.height ?? cell * labels.length,
    data: { values },
    encoding: {
      x: { field: 'predicted', type: 'nominal', sort: labels, title: 'Predicted label', axis: { labelAngle: -40, grid: false } },
      y: { field: 'actual', type: 'nominal', sort: labels, title: 'True label', axis: { grid: false } },
    },
    layer: [
      {
        mark: 'rect',
        encoding: {
          color: {
            field: 'value',
            type: 'quantitative',
            scale: { scheme: 'blues', domain: [0, max] },
            title: norm ? { true: 'Share of true class', pred: 'Share of predicted', all: 'Share of total' }[options.normalize!] : 'Count',
          },
        },
      },
      {
        mark: { type: 'text', fontSize: labels.length > 8 ? 9 : 12 },
        encoding: {
          text: { field: 'text', type: 'nominal' },
          color: { condition: { test: `datum.value > ${max / 2}`, value: 'white' }, value: 'black' },
        },
      },
    ],
  } as ChartSpec;
}

/** One ROC curve to draw. */
export interface RocSeries {
  name: string;
  fpr: readonly number[];
  tpr: readonly number[];
  auc?: number;
}

/** ROC curves (one line per series, legend with AUC) plus the chance diagonal. */
export function rocChart(series: readonly RocSeries[], options: ChartOptions): ChartSpec {
  if (series.length === 0) throw new Error('rocChart needs at least one curve');
  const name = (s: RocSeries) => (s.auc === undefined ? s.name : `${s.name} (AUC ${s.auc.toFixed(3)})`);
  const values = series.flatMap((s) =>
    s.fpr.map((f, i) => ({ curve: name(s), fpr: f, tpr: s.tpr[i], order: i })).filter((p) => finite(p.fpr) && finite(p.tpr)),
  );
  return {
    ...base(options),
    ...size(options, 380, 380),
    layer: [
      {
        data: { values: [{ x: 0, y: 0 }, { x: 1, y: 1 }] },
        mark: { type: 'line', strokeDash: [5, 4], color: '#888' },
        encoding: {
          x: { field: 'x', type: 'quantitative', scale: { domain: [0, 1], nice: false } },
          y: { field: 'y', type: 'quantitative', scale: { domain: [0, 1], nice: false } },
        },
      },
      {
        data: { values },
        mark: { type: 'line', interpolate: 'linear' },
        encoding: {
          x: { field: 'fpr', type: 'quantitative', title: 'False positive rate', scale: { domain: [0, 1], nice: false } },
          y: { field: 'tpr', type: 'quantitative', title: 'True positive rate', scale: { domain: [0, 1], nice: false } },
          color: { field: 'curve', type: 'nominal', title: 'Curve' },
          order: { field: 'order', type: 'quantitative' },
        },
      },
    ],
  } as ChartSpec;
}

/** One precision-recall curve to draw. */
export interface PrSeries {
  name: string;
  precision: readonly number[];
  recall: readonly number[];
  averagePrecision?: number;
}

/** Precision-recall curves drawn as steps (legend with average precision). */
export function prChart(series: readonly PrSeries[], options: ChartOptions): ChartSpec {
  if (series.length === 0) throw new Error('prChart needs at least one curve');
  const name = (s: PrSeries) => (s.averagePrecision === undefined ? s.name : `${s.name} (AP ${s.averagePrecision.toFixed(3)})`);
  const values = series.flatMap((s) =>
    s.recall.map((r, i) => ({ curve: name(s), recall: r, precision: s.precision[i], order: -i })).filter((p) => finite(p.recall) && finite(p.precision)),
  );
  return {
    ...base(options),
    ...size(options, 380, 380),
    data: { values },
    mark: { type: 'line', interpolate: 'step-before' },
    encoding: {
      x: { field: 'recall', type: 'quantitative', title: 'Recall', scale: { domain: [0, 1] } },
      y: { field: 'precision', type: 'quantitative', title: 'Precision', scale: { domain: [0, 1] } },
      color: { field: 'curve', type: 'nominal', title: 'Curve' },
      order: { field: 'order', type: 'quantitative' },
    },
  } as ChartSpec;
}

/** Per-epoch metrics of a training run; every array has one value per epoch. */
export interface TrainingHistory {
  epoch: readonly number[];
  /** Metric name → values on the training set, e.g. { loss: [...], accuracy: [...] }. */
  train: Record<string, readonly number[]>;
  /** Same metric names on the validation set (optional). */
  validation?: Record<string, readonly number[]>;
}

/** Training curves: one panel per metric (loss, accuracy, …), train vs validation as coloured lines. */
export function trainingCurvesChart(history: TrainingHistory, options: ChartOptions): ChartSpec {
  const metrics = Object.keys(history.train);
  if (metrics.length === 0) throw new Error('training history has no metrics');
  const values: Array<{ epoch: number; metric: string; split: string; value: number }> = [];
  for (const [split, record] of [['train', history.train], ['validation', history.validation ?? {}]] as const) {
    for (const [metric, series] of Object.entries(record)) {
      if (series.length !== history.epoch.length) {
        throw new Error(`${split} ${metric} has ${series.length} values for ${history.epoch.length} epochs`);
      }
      series.forEach((v, i) => finite(v) && values.push({ epoch: history.epoch[i], metric, split, value: v }));
    }
  }
  return {
    ...base(options),
    data: { values },
    hconcat: metrics.map((metric) => ({
      ...size(options, 320, 240),
      title: metric,
      transform: [{ filter: { field: 'metric', equal: metric } }],
      mark: { type: 'line', point: history.epoch.length <= 30 },
      encoding: {
        x: { field: 'epoch', type: 'quantitative', title: 'Epoch', axis: { tickMinStep: 1 } },
        y: { field: 'value', type: 'quantitative', title: metric, scale: { zero: false } },
        color: { field: 'split', type: 'nominal', title: 'Split', scale: { domain: ['train', 'validation'] } },
      },
    })),
    resolve: { scale: { y: 'independent' } },
  } as ChartSpec;
}

/** Axis titles (with unit) for single-variable charts. */
export interface AxisOptions {
  xTitle?: string;
  yTitle?: string;
}

/**
 * Histogram of one sample, or of several named samples overlaid in colour (semi-transparent bars).
 * `maxBins` (default 30) bounds the number of bins.
 */
export function histogramChart(
  data: readonly number[] | Record<string, readonly number[]>,
  options: ChartOptions & AxisOptions & { maxBins?: number },
): ChartSpec {
  const groups = Array.isArray(data) ? { all: data as readonly number[] } : (data as Record<string, readonly number[]>);
  const grouped = !Array.isArray(data);
  const values = Object.entries(groups).flatMap(([group, vs]) => vs.filter(finite).map((value) => ({ group, value })));
  if (values.length === 0) throw new Error('histogram needs at least one finite value');
  return {
    ...base(options),
    ...size(options),
    data: { values },
    mark: { type: 'bar', opacity: grouped ? 0.6 : 1, binSpacing: 1 },
    encoding: {
      x: { field: 'value', type: 'quantitative', bin: { maxbins: options.maxBins ?? 30 }, title: options.xTitle ?? 'Value' },
      y: { aggregate: 'count', type: 'quantitative', title: options.yTitle ?? 'Count', stack: null },
      ...(grouped ? { color: { field: 'group', type: 'nominal', title: 'Group' } } : {}),
    },
  } as ChartSpec;
}

/** Box plots (Tukey whiskers at 1.5 IQR) of named groups. */
export function boxPlotChart(groups: Record<string, readonly number[]>, options: ChartOptions & AxisOptions): ChartSpec {
  const values = Object.entries(groups).flatMap(([group, vs]) => vs.filter(finite).map((value) => ({ group, value })));
  if (values.length === 0) throw new Error('box plot needs at least one finite value');
  return {
    ...base(options),
    ...size(options),
    data: { values },
    mark: { type: 'boxplot', extent: 1.5 },
    encoding: {
      x: { field: 'group', type: 'nominal', title: options.xTitle ?? 'Group', sort: Object.keys(groups) },
      y: { field: 'value', type: 'quantitative', title: options.yTitle ?? 'Value', scale: { zero: false } },
      color: { field: 'group', type: 'nominal', legend: null },
    },
  } as ChartSpec;
}

/** A scatter point; `group` colours it. */
export interface ScatterPoint {
  x: number;
  y: number;
  group?: string;
}

/** Scatter plot, optionally coloured by group. */
export function scatterChart(points: readonly ScatterPoint[], options: ChartOptions & AxisOptions): ChartSpec {
  const values = points.filter((p) => finite(p.x) && finite(p.y));
  if (values.length === 0) throw new Error('scatter plot needs at least one finite point');
  const grouped = values.some((p) => p.group !== undefined);
  return {
    ...base(options),
    ...size(options),
    data: { values },
    mark: { type: 'point', filled: true, opacity: 0.7 },
    encoding: {
      x: { field: 'x', type: 'quantitative', title: options.xTitle ?? 'x', scale: { zero: false } },
      y: { field: 'y', type: 'quantitative', title: options.yTitle ?? 'y', scale: { zero: false } },
      ...(grouped ? { color: { field: 'group', type: 'nominal', title: 'Group' } } : {}),
    },
  } as ChartSpec;
}

/** Correlation heatmap (diverging colours on [-1, 1]) with the coefficient printed in each cell. */
export function correlationHeatmapChart(corr: { names: readonly string[]; matrix: readonly (readonly number[])[] }, options: ChartOptions): ChartSpec {
  const values = corr.names.flatMap((a, i) => corr.names.map((b, j) => ({ a, b, r: corr.matrix[i][j], text: corr.matrix[i][j].toFixed(2) })));
  const cell = Math.max(28, Math.min(70, 420 / corr.names.length));
  return {
    ...base(options),
    width: options.width ?? cell * corr.names.length,
    height: options.height ?? cell * corr.names.length,
    data: { values },
    encoding: {
      x: { field: 'b', type: 'nominal', sort: [...corr.names], title: null, axis: { labelAngle: -40, grid: false } },
      y: { field: 'a', type: 'nominal', sort: [...corr.names], title: null, axis: { grid: false } },
    },
    layer: [
      { mark: 'rect', encoding: { color: { field: 'r', type: 'quantitative', scale: { scheme: 'redblue', domain: [-1, 1], reverse: true }, title: 'Correlation' } } },
      {
        mark: { type: 'text', fontSize: 11 },
        encoding: {
          text: { field: 'text', type: 'nominal' },
          color: { condition: { test: 'abs(datum.r) > 0.6', value: 'white' }, value: 'black' },
        },
      },
    ],
  } as ChartSpec;
}

/** One bar: a value with an optional confidence interval and optional colour group. */
export interface BarDatum {
  label: string;
  value: number;
  /** [lower, upper] error bar, e.g. a bootstrap CI. */
  interval?: [number, number];
  group?: string;
}

/**
 * Bar chart for model comparison (vertical, with CI error bars) or feature importances
 * (`horizontal: true`, sorted by value, largest on top).
 */
export function barChart(bars: readonly BarDatum[], options: ChartOptions & AxisOptions & { horizontal?: boolean; sortByValue?: boolean }): ChartSpec {
  if (bars.length === 0) throw new Error('bar chart needs at least one bar');
  bars.forEach((b, i) => {
    if (!finite(b.value)) throw new Error(`bars[${i}] (${b.label}) value is ${b.value}`);
  });
  const values = bars.map((b) => ({ label: b.label, value: b.value, lo: b.interval?.[0], hi: b.interval?.[1], group: b.group }));
  const horizontal = options.horizontal ?? false;
  const sort = (options.sortByValue ?? horizontal) ? (horizontal ? '-x' : '-y') : bars.map((b) => b.label);
  const cat = { field: 'label', type: 'nominal', sort, title: options.xTitle ?? (horizontal ? 'Feature' : 'Model'), axis: horizontal ? { labelLimit: 200 } : { labelAngle: -30, labelLimit: 160 } };
  const num = { field: 'value', type: 'quantitative', title: options.yTitle ?? 'Value' };
  const [catCh, numCh] = horizontal ? ['y', 'x'] : ['x', 'y'];
  const grouped = bars.some((b) => b.group !== undefined);
  const layers: unknown[] = [
    {
      mark: { type: 'bar' },
      encoding: { [catCh]: cat, [numCh]: num, ...(grouped ? { color: { field: 'group', type: 'nominal', title: 'Group' } } : {}) },
    },
  ];
  if (bars.some((b) => b.interval)) {
    layers.push({
      transform: [{ filter: 'isValid(datum.lo) && isValid(datum.hi)' }],
      mark: { type: 'errorbar', color: 'black' },
      encoding: { [catCh]: { field: 'label', type: 'nominal', sort }, [numCh]: { field: 'lo', type: 'quantitative', title: num.title }, [`${numCh}2`]: { field: 'hi' } },
    });
  }
  const step = horizontal ? { height: options.height ?? Math.max(120, 22 * bars.length), width: options.width ?? 380 } : size(options);
  return { ...base(options), ...step, data: { values }, layer: layers } as ChartSpec;
}

/** The shared spec header (schema, title, config) and default size, for chart builders in other files. */
export { base as chartBase, size as chartSize };
