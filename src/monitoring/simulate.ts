import { mulberry32 } from '../core/random.js';
import type { ObservationBatch } from './reference.js';
import type { Observation } from './observations.js';
import { WindowMonitor, type LiveMonitorOptions } from './live.js';
import type { ModelReference } from './reference.js';

/** Rows of a column-wise batch back to observations. */
export function observationsOf(b: ObservationBatch): Observation[] {
  const n = Math.max(0, ...Object.values(b.numeric).map((v) => v.length), ...Object.values(b.categorical).map((v) => v.length));
  return Array.from({ length: n }, (_, i) => ({
    numeric: Object.fromEntries(Object.entries(b.numeric).map(([k, v]) => [k, v[i]])),
    categorical: Object.fromEntries(Object.entries(b.categorical).map(([k, v]) => [k, v[i]])),
  }));
}

export interface SimulationResult {
  observations: number;
  minutes: number;
  evaluations: number;
  /** Evaluations flagged drifting while the stream was clean. */
  driftingCleanEvaluations: number;
  /** Alerts (runs of drifting evaluations lasting `forMinutes`) while clean: the false alarms. */
  falseAlarms: number;
  /** After the switch to shifted data: evaluations (windows) until the first drifting one, and the alert delay in minutes. */
  detection?: { windows: number; observations: number; minutes: number; alertMinutes: number };
}

/**
 * A simulated stream: `rate` observations per second drawn (seeded, with replacement) from `clean`,
 * switching to `shifted` after `switchAt` observations when given. An alert is a Prometheus rule with
 * `for: forMinutes` on the drift gauge: it fires when evaluations keep drifting that long.
 */
export function simulateStream(
  ref: ModelReference,
  clean: readonly Observation[],
  o: { total: number; rate: number; seed?: number; shifted?: readonly Observation[]; switchAt?: number; forMinutes?: number; monitor?: LiveMonitorOptions },
): SimulationResult {
  const rnd = mulberry32(o.seed ?? 1);
  const m = new WindowMonitor(ref, o.monitor);
  const forMs = (o.forMinutes ?? 10) * 60_000;
  let evaluations = 0;
  let driftingClean = 0;
  let falseAlarms = 0;
  let runStart: number | undefined;
  let fired = false;
  let detection: SimulationResult['detection'];
  let shiftedEvaluations = 0;
  for (let i = 0; i < o.total; i++) {
    const shifted = o.shifted !== undefined && o.switchAt !== undefined && i >= o.switchAt;
    const pool = shifted ? o.shifted! : clean;
    const t = (i / o.rate) * 1000;
    const r = m.add(pool[Math.floor(rnd() * pool.length)], undefined, t);
    if (!r) continue;
    evaluations++;
    if (shifted) shiftedEvaluations++;
    if (r.drift) {
      runStart ??= t;
      if (!shifted) driftingClean++;
      if (!fired && t - runStart >= forMs) {
        fired = true;
        if (!shifted) falseAlarms++;
      }
      if (shifted && !detection) {
        const obs = i - o.switchAt! + 1;
        detection = { windows: shiftedEvaluations, observations: obs, minutes: obs / o.rate / 60, alertMinutes: obs / o.rate / 60 + forMs / 60_000 };
      }
    } else {
      runStart = undefined;
      fired = false;
    }
  }
  return { observations: o.total, minutes: o.total / o.rate / 60, evaluations, driftingCleanEvaluations: driftingClean, falseAlarms, detection };
}
