/**
 * Calendar-month series of timestamped events (pandas `resample('MS')` / `to_period('M')` in UTC):
 * every month from the first event's to the last event's, months without events included as 0.
 */
export interface MonthlySeries {
  /** 'YYYY-MM', consecutive. */
  months: string[];
  /** Events per month. */
  count: number[];
  /** Sum of each event's value per month (0 when no values were given). */
  sum: number[];
  /** Whether the last month is covered to its end by the data (`through`), else it is partial. */
  lastMonthComplete: boolean;
}

const monthKey = (y: number, m: number) => `${y}-${String(m + 1).padStart(2, '0')}`;

/**
 * Monthly counts and sums. `through` (ISO time, default the latest event) is when the data end: the
 * last month is complete only when `through` is at or after that month's last instant.
 */
export function monthlySeries(timestamps: readonly string[], values?: readonly number[], options: { through?: string } = {}): MonthlySeries {
  if (timestamps.length === 0) throw new Error('monthlySeries needs at least one timestamp');
  if (values && values.length !== timestamps.length) throw new Error(`timestamps has ${timestamps.length} entries but values has ${values.length}`);
  const ms = timestamps.map((t, i) => {
    const v = Date.parse(t);
    if (!Number.isFinite(v)) throw new Error(`timestamps[${i}] is not a date: ${JSON.stringify(t)}`);
    return v;
  });
  const first = new Date(Math.min(...ms));
  const lastMs = Math.max(...ms);
  const last = new Date(lastMs);
  const index = (d: Date) => (d.getUTCFullYear() - first.getUTCFullYear()) * 12 + d.getUTCMonth() - first.getUTCMonth();
  const length = index(last) + 1;
  const count = new Array<number>(length).fill(0);
  const sum = new Array<number>(length).fill(0);
  ms.forEach((t, i) => {
    const k = index(new Date(t));
    count[k] += 1;
    if (values) {
      if (!Number.isFinite(values[i])) throw new Error(`values[${i}] is ${values[i]}; expected a finite number`);
      sum[k] += values[i];
    }
  });
  const months = Array.from({ length }, (_, k) => {
    const m = first.getUTCMonth() + k;
    return monthKey(first.getUTCFullYear() + Math.floor(m / 12), m % 12);
  });
  const through = options.through === undefined ? lastMs : Date.parse(options.through);
  if (!Number.isFinite(through)) throw new Error(`through is not a date: ${JSON.stringify(options.through)}`);
  const endOfLast = Date.UTC(last.getUTCFullYear(), last.getUTCMonth() + 1, 1) - 1;
  return { months, count, sum, lastMonthComplete: through >= endOfLast };
}
