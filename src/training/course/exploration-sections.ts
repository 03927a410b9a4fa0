import { barChart } from '../../analysis/charts.js';
import { featureSummaryChart, histogramKdeChart } from '../../analysis/distribution-charts.js';
import { forecastChart } from '../../analysis/forecast-chart.js';
import type { ReportSection } from '../../analysis/report.js';
import type { CourseHistogram } from './course-densities.js';
import type { FeatureOutliers } from './course-outliers.js';
import type { FeatureStatistics } from './course-statistics.js';
import type { CourseTimeSeries } from './course-time-series.js';

/**
 * Report sections of the course data exploration that go beyond the statistics table: its chart,
 * the outliers per feature, histograms with their kernel density estimates, and the monthly
 * publication series with the seasonal baselines' hold-out errors.
 */
const pct = (x: number) => (Number.isFinite(x) ? `${(x * 100).toFixed(1)} %` : 'undefined (an actual value is 0)');

export function featureStatisticsChartSection(features: readonly FeatureStatistics[], outliers: readonly FeatureOutliers[]): ReportSection {
  const rows = features.map((f) => {
    const o = outliers.find((x) => x.feature === f.feature);
    if (!o) throw new Error(`no quartiles for feature ${f.feature}`);
    return { feature: f.feature, q1: o.iqr.q1, median: f.median, q3: o.iqr.q3, mean: f.mean, whiskerLow: o.iqr.whiskers[0], whiskerHigh: o.iqr.whiskers[1] };
  });
  return {
    kind: 'chart',
    title: 'Feature statistics chart',
    caption:
      'One row and one x scale per feature (they differ by orders of magnitude): box Q1 to Q3, black tick the median, red dot the mean, grey line the whiskers ' +
      '(the extreme values inside Q1 - 1.5 IQR and Q3 + 1.5 IQR). Values beyond the whiskers are the IQR outliers counted below. A mean far right of the median marks a long right tail.',
    spec: featureSummaryChart(rows, { title: 'Course features: quartiles, median, mean and whiskers', width: 560 }),
  };
}

export function outlierSections(outliers: readonly FeatureOutliers[]): ReportSection[] {
  return [
    {
      kind: 'table',
      title: 'Outliers per feature (IQR rule and z-score rule)',
      caption:
        'IQR rule: value < Q1 - 1.5 IQR or > Q3 + 1.5 IQR (pandas quartiles, linear interpolation). z-score rule: |value - mean| / std > 3 (std with ddof 0, as scipy.stats.zscore). ' +
        'On skewed counts (subscribers, reviews, lectures) the IQR rule flags the long right tail by the hundred; the z rule, whose mean and std the tail itself inflates, flags far fewer.',
      columns: ['feature', 'n', 'Q1', 'Q3', 'IQR lower fence', 'IQR upper fence', 'IQR outliers', 'mean', 'std (ddof 0)', 'z lower bound', 'z upper bound', '|z| > 3 outliers', 'flagged by both'],
      rows: outliers.map((o) => [o.feature, o.n, o.iqr.q1, o.iqr.q3, o.iqr.lower, o.iqr.upper, o.iqr.count, o.z.mean, o.z.std, o.z.lower, o.z.upper, o.z.count, o.both]),
    },
    {
      kind: 'chart',
      title: 'Outlier counts per feature',
      spec: barChart(
        outliers.flatMap((o) => [
          // one bar per feature and rule (barChart stacks bars that share a label)
          { label: `${o.feature} (IQR)`, value: o.iqr.count, group: 'IQR rule (1.5 IQR)' },
          { label: `${o.feature} (z)`, value: o.z.count, group: 'z rule (|z| > 3)' },
        ]),
        { title: 'Courses flagged as outliers, by feature and rule', xTitle: 'feature (rule)', yTitle: 'courses flagged', horizontal: true, sortByValue: false },
      ),
    },
    {
      kind: 'table',
      title: 'Most extreme flagged courses per feature',
      caption: 'Up to five courses per feature flagged by either rule, largest |z| first.',
      columns: ['feature', 'course title', 'course id', 'value', 'z', 'IQR rule', 'z rule'],
      rows: outliers.flatMap((o) => o.top.map((t) => [o.feature, t.title, t.courseId, t.value, t.z, t.iqr ? 'yes' : 'no', t.zScore ? 'yes' : 'no'])),
    },
  ];
}

export function histogramSections(histograms: readonly CourseHistogram[]): ReportSection[] {
  return histograms.map((h) => {
    const bw = Object.entries(h.densities)
      .map(([g, d]) => `${g === 'all' ? '' : `${g}: `}n = ${d.n}, Scott factor ${d.factor.toFixed(4)}, kernel std ${d.bandwidth.toPrecision(4)}`)
      .join('; ');
    return {
      kind: 'chart' as const,
      title: `Distribution of ${h.title} with its kernel density estimate`,
      caption: `Bars: counts in ${h.bins} equal bins. Line: Gaussian KDE (scipy.stats.gaussian_kde definition, Scott's rule) scaled to counts (density × n × bin width). ${bw}.`,
      spec: histogramKdeChart(
        h.samples,
        Object.fromEntries(Object.entries(h.densities).map(([g, d]) => [g, { x: d.x, density: d.density }])),
        { title: `${h.title}: histogram and KDE`, xTitle: h.xTitle, bins: h.bins },
      ),
    };
  });
}

export function timeSeriesSections(ts: CourseTimeSeries): ReportSection[] {
  const label = (m: string) => (m === 'seasonal-naive' ? 'seasonal naive' : 'seasonal mean');
  const partial = ts.droppedPartialMonth ? ` The last month in the data, ${ts.droppedPartialMonth}, is partial (collection stopped mid-month) and is left out.` : '';
  const charts: ReportSection[] = (['courses', 'subscribers'] as const).map((series) => ({
    kind: 'chart',
    title: series === 'courses' ? 'Courses published per month, with the seasonal baselines' : 'Subscribers per publication month, with the seasonal baselines',
    caption:
      `Baselines fitted on ${ts.months[0]} to ${ts.months[ts.months.length - ts.horizon - 1]} and forecasting the held-out ${ts.holdOutFrom} to ${ts.months[ts.months.length - 1]} (dashed rule).` +
      (series === 'subscribers' ? ' Subscribers are the totals, as collected, of the courses published in each month: older courses had longer to gather them, so this is not a monthly flow.' : ''),
    spec: forecastChart(
      { months: ts.months, actual: ts[series], forecasts: Object.fromEntries(ts.forecasts[series].map((f) => [label(f.method), f.forecast])) },
      { title: series === 'courses' ? 'Courses published per month: actual vs forecast' : 'Subscribers of the courses published each month: actual vs forecast', yTitle: series === 'courses' ? 'courses published' : 'subscribers' },
    ),
  }));
  return [
    ...charts,
    {
      kind: 'table',
      title: 'Forecast baselines: error on the held-out last 12 months',
      caption:
        `Season ${ts.season} months. Seasonal naive: each held-out month repeats the same month a year earlier. Seasonal mean: the mean of the same calendar month over the training years. ` +
        `MAE and MAPE as scikit-learn's mean_absolute_error / mean_absolute_percentage_error; sMAPE = mean(2|F - A| / (|A| + |F|)).${partial} ` +
        'These are baselines to beat, not models: the report\'s future work (ARIMA, LSTM) would have to do better than them on the same hold-out.',
      columns: ['series', 'baseline', 'months held out', 'MAE', 'MAPE', 'sMAPE'],
      rows: (['courses', 'subscribers'] as const).flatMap((series) => ts.forecasts[series].map((f) => [series, label(f.method), f.errors.n, f.errors.mae, pct(f.errors.mape), pct(f.errors.smape)])),
    },
  ];
}
