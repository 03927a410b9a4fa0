/**
 * Seasonal forecast baselines and their errors on a held-out stretch: seasonal naive (each month
 * repeats the same month one season earlier, Hyndman & Athanasopoulos §5.2) and seasonal mean (the
 * mean of the training values in the same season position). MAE and MAPE as scikit-learn's
 * mean_absolute_error / mean_absolute_percentage_error (MAPE as a fraction; NaN when an actual is
 * 0, where sklearn divides by its machine epsilon), sMAPE = mean(2|F - A| / (|A| + |F|)), 0 where
 * both are 0.
 */
import { meanAbsoluteError } from './regression.js';
import { checkFinite } from './labels.js';

export type SeasonalMethod = 'seasonal-naive' | 'seasonal-mean';

function checkSeason(train: ArrayLike<number>, season: number, horizon: number): void {
  checkFinite(train, 'train');
  if (!Number.isInteger(season) || season < 1) throw new Error(`season must be a positive integer, got ${season}`);
  if (!Number.isInteger(horizon) || horizon < 1) throw new Error(`horizon must be a positive integer, got ${horizon}`);
  if (train.length < season) throw new Error(`a seasonal forecast needs at least one season (${season}) of training values, got ${train.length}`);
}

/** ŷ[T+h] = y[T + h - season·(floor((h-1)/season) + 1)], h = 1..horizon. */
export function seasonalNaiveForecast(train: ArrayLike<number>, horizon: number, season: number): number[] {
  checkSeason(train, season, horizon);
  const T = train.length;
  return Array.from({ length: horizon }, (_, k) => {
    const h = k + 1;
    return train[T + h - season * (Math.floor((h - 1) / season) + 1) - 1];
  });
}

/** ŷ[t] = mean of train[i] with i ≡ t (mod season), positions counted from the first training value. */
export function seasonalMeanForecast(train: ArrayLike<number>, horizon: number, season: number): number[] {
  checkSeason(train, season, horizon);
  const sums = new Array<number>(season).fill(0);
  const counts = new Array<number>(season).fill(0);
  for (let i = 0; i < train.length; i++) {
    sums[i % season] += train[i];
    counts[i % season] += 1;
  }
  const T = train.length;
  return Array.from({ length: horizon }, (_, k) => sums[(T + k) % season] / counts[(T + k) % season]);
}

export interface ForecastErrors {
  n: number;
  mae: number;
  /** Fraction (0.1 = 10 %); NaN when an actual value is 0. */
  mape: number;
  /** Fraction in [0, 2]. */
  smape: number;
}

export function forecastErrors(actual: readonly number[], forecast: readonly number[]): ForecastErrors {
  const mae = meanAbsoluteError(actual, forecast);
  let ape = 0;
  let sape = 0;
  for (let i = 0; i < actual.length; i++) {
    const a = actual[i];
    const f = forecast[i];
    ape += a === 0 ? Number.NaN : Math.abs(a - f) / Math.abs(a);
    const d = Math.abs(a) + Math.abs(f);
    sape += d === 0 ? 0 : (2 * Math.abs(f - a)) / d;
  }
  return { n: actual.length, mae, mape: ape / actual.length, smape: sape / actual.length };
}

export interface HoldOutForecast {
  method: SeasonalMethod;
  season: number;
  /** Values the baseline was fitted on (all but the last `horizon`). */
  train: number[];
  /** The held-out last `horizon` values. */
  actual: number[];
  forecast: number[];
  errors: ForecastErrors;
}

/** Fits the baseline on all values but the last `horizon` and scores its forecast of those. */
export function holdOutForecast(series: readonly number[], method: SeasonalMethod, options: { horizon?: number; season?: number } = {}): HoldOutForecast {
  const horizon = options.horizon ?? 12;
  const season = options.season ?? 12;
  if (series.length <= horizon) throw new Error(`series has ${series.length} values; holding out ${horizon} leaves none to fit on`);
  const train = series.slice(0, series.length - horizon);
  const actual = series.slice(series.length - horizon);
  const forecast = method === 'seasonal-naive' ? seasonalNaiveForecast(train, horizon, season) : seasonalMeanForecast(train, horizon, season);
  return { method, season, train, actual, forecast, errors: forecastErrors(actual, forecast) };
}
