/** Monthly series with forecasts over a held-out stretch (a dashed rule where the hold-out starts). */
import { type AxisOptions, type ChartOptions, type ChartSpec, chartBase, chartSize } from './charts.js';

export interface ForecastChartData {
  /** 'YYYY-MM' of every value of `actual`. */
  months: readonly string[];
  actual: readonly number[];
  /** Named forecasts of the last `forecast[name].length` months. */
  forecasts: Record<string, readonly number[]>;
}

export function forecastChart(d: ForecastChartData, options: ChartOptions & AxisOptions): ChartSpec {
  if (d.months.length !== d.actual.length) throw new Error(`${d.months.length} months for ${d.actual.length} values`);
  const date = (m: string) => `${m}-01`;
  const values = d.months.map((m, i) => ({ month: date(m), value: d.actual[i], series: 'actual' }));
  let start: string | undefined;
  for (const [name, f] of Object.entries(d.forecasts)) {
    if (f.length > d.months.length) throw new Error(`forecast ${name} is longer than the series`);
    const offset = d.months.length - f.length;
    start = date(d.months[offset]);
    f.forEach((v, k) => values.push({ month: date(d.months[offset + k]), value: v, series: name }));
  }
  const x = { field: 'month', type: 'temporal', timeUnit: 'utcyearmonth', title: options.xTitle ?? 'month', axis: { format: '%Y-%m', labelAngle: -30 } };
  return {
    ...chartBase(options),
    ...chartSize(options, 640, 300),
    layer: [
      {
        data: { values },
        mark: { type: 'line', point: { size: 12 } },
        encoding: {
          x,
          y: { field: 'value', type: 'quantitative', title: options.yTitle ?? 'value' },
          color: { field: 'series', type: 'nominal', title: 'Series', sort: ['actual', ...Object.keys(d.forecasts)] },
        },
      },
      ...(start ? [{ data: { values: [{ month: start }] }, mark: { type: 'rule', color: '#666', strokeDash: [2, 2] }, encoding: { x } }] : []),
    ],
  } as ChartSpec;
}
