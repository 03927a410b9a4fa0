import { type HoldOutForecast, type SeasonalMethod, holdOutForecast } from '../../analysis/forecast.js';
import { monthlySeries } from '../../analysis/monthly-series.js';
import type { EnrichedCourse } from '../../features/course/enrich.js';

/**
 * Courses published and subscribers per publication month (UTC), and seasonal baselines (season 12)
 * fitted on all complete months but the last 12 and scored on those 12. A last month the data do not
 * cover to its end (the catalogue was collected mid-month) is left out, so that a partial month is
 * not scored as a drop. Subscribers are the totals, as collected, of the courses published in a
 * month: older courses had longer to gather them, so the series is not a monthly flow.
 */
export const FORECAST_METHODS: readonly SeasonalMethod[] = ['seasonal-naive', 'seasonal-mean'];

export interface CourseTimeSeries {
  months: string[];
  courses: number[];
  subscribers: number[];
  /** The partial last month left out ('YYYY-MM'), if any. */
  droppedPartialMonth: string | null;
  horizon: number;
  season: number;
  /** First held-out month. */
  holdOutFrom: string;
  forecasts: { courses: HoldOutForecast[]; subscribers: HoldOutForecast[] };
}

export function courseTimeSeries(records: readonly EnrichedCourse[], options: { horizon?: number; season?: number } = {}): CourseTimeSeries {
  const horizon = options.horizon ?? 12;
  const season = options.season ?? 12;
  const s = monthlySeries(records.map((r) => r.publishedAt), records.map((r) => r.numSubscribers ?? 0));
  const keep = s.lastMonthComplete ? s.months.length : s.months.length - 1;
  const months = s.months.slice(0, keep);
  const courses = s.count.slice(0, keep);
  const subscribers = s.sum.slice(0, keep);
  const fit = (y: number[]) => FORECAST_METHODS.map((m) => holdOutForecast(y, m, { horizon, season }));
  return {
    months,
    courses,
    subscribers,
    droppedPartialMonth: s.lastMonthComplete ? null : s.months[s.months.length - 1],
    horizon,
    season,
    holdOutFrom: months[months.length - horizon],
    forecasts: { courses: fit(courses), subscribers: fit(subscribers) },
  };
}
