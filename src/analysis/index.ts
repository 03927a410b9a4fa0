/**
 * streamlens analysis toolkit: metrics (scikit-learn semantics), validation helpers, descriptive
 * statistics (pandas / numpy), statistical tests (scipy / statsmodels), charts and HTML reports.
 */
export * from './labels.js';
export * from '../core/random.js';
export * from './confusion.js';
export * from './classification.js';
export * from './curves.js';
export * from './regression.js';
export * from './descriptive.js';
export * from './distributions.js';
export * from './test-result.js';
export * from './parametric-tests.js';
export * from './nonparametric-tests.js';
export * from './contingency-tests.js';
export * from './correlation-tests.js';
export * from './multiple-comparisons.js';
export * from './bootstrap.js';
export * from './proportion-interval.js';
export * from './validation.js';
export * from './charts.js';
export * from './report.js';
export * from './outliers.js';
export * from './kde.js';
export * from './monthly-series.js';
export * from './forecast.js';
export * from './distribution-charts.js';
export * from './forecast-chart.js';
