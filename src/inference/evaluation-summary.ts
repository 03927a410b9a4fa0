/**
 * The evaluation a model version's manifest records, in one shape for the dashboard's Models tab:
 * accuracy, macro-F1 and per-class recall, each with the held-out split it was measured on. The
 * manifests differ by trainer (image: metrics[method][split]; audio: speaker-group k-fold with a
 * pooled result; course: one entry per task on the held-out test split); anything else is left out
 * rather than guessed.
 */
export interface EvaluationSummary {
  /** Which task of the model (course: subject, popularity), when it has more than one. */
  task?: string;
  /** Where the numbers come from, e.g. "test split (n=203)" or "leave-speakers-out, 6-fold ... (pooled, n=1080)". */
  split: string;
  accuracy?: number;
  macroF1?: number;
  /** Recall per class, where recorded. */
  recall?: Record<string, number>;
}

const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
const obj = (v: unknown): Record<string, unknown> | undefined => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined);

function recallOf(perClass: unknown): Record<string, number> | undefined {
  const pc = obj(perClass);
  if (!pc) return undefined;
  const out: Record<string, number> = {};
  for (const [label, v] of Object.entries(pc)) {
    const r = num(obj(v)?.recall);
    if (r !== undefined) out[label] = r;
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

/** An entry with accuracy/macroF1 (numbers, or {mean}) and perClass. */
function entry(m: Record<string, unknown>, split: string, task?: string): EvaluationSummary | undefined {
  const accuracy = num(m.accuracy) ?? num(obj(m.accuracy)?.mean);
  const macroF1 = num(m.macroF1) ?? num(obj(m.macroF1)?.mean);
  if (accuracy === undefined && macroF1 === undefined) return undefined;
  const recall = recallOf(m.perClass);
  return { ...(task ? { task } : {}), split, ...(accuracy !== undefined ? { accuracy } : {}), ...(macroF1 !== undefined ? { macroF1 } : {}), ...(recall ? { recall } : {}) };
}

const withN = (name: string, m: Record<string, unknown>) => (num(m.n) !== undefined ? `${name} (n=${m.n})` : name);

export function evaluationSummary(metrics: Record<string, unknown>, training?: Record<string, unknown>): EvaluationSummary[] {
  // audio: a cross-validation description, pooled out-of-fold predictions
  if (typeof metrics.evaluation === 'string') {
    const pooled = obj(metrics.pooled);
    const e = pooled ? entry(pooled, withN(`${metrics.evaluation}, pooled out-of-fold`, pooled)) : entry(metrics, metrics.evaluation);
    return e ? [e] : [];
  }
  const top = entry(metrics, typeof metrics.split === 'string' ? metrics.split : 'held-out split');
  if (top) return [top];
  const out: EvaluationSummary[] = [];
  const testRows = num(training?.test);
  for (const [key, value] of Object.entries(metrics)) {
    const m = obj(value);
    if (!m) continue;
    // course: metrics[task] measured on the held-out test split
    const direct = entry(m, withN(testRows !== undefined ? 'held-out test split' : 'held-out split', m), key);
    if (direct) {
      out.push(direct);
      continue;
    }
    // image: metrics[method][split]; the test split first
    const splits = Object.entries(m).filter(([, v]) => obj(v)) as [string, Record<string, unknown>][];
    splits.sort(([a], [b]) => (a === 'test' ? -1 : b === 'test' ? 1 : 0));
    for (const [split, sm] of splits) {
      const e = entry(sm, withN(`${split} split`, sm), key);
      if (e) out.push(e);
    }
  }
  return out;
}
