/** Label helpers shared by the classification metrics. */

/** A class label: string or number (one kind per call, as in scikit-learn). */
export type Label = string | number;

/** Compare two labels the way numpy sorts them (numbers numerically, strings by code point). */
export function compareLabels(a: Label, b: Label): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  const sa = String(a);
  const sb = String(b);
  return sa < sb ? -1 : sa > sb ? 1 : 0;
}

/** Throw if a label array is empty, mixes strings and numbers, or holds NaN / non-finite numbers. */
export function checkLabels(values: readonly Label[], name: string): void {
  if (!Array.isArray(values)) throw new Error(`${name} must be an array of labels`);
  if (values.length === 0) throw new Error(`${name} is empty`);
  const kind = typeof values[0];
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (typeof v !== 'string' && typeof v !== 'number') throw new Error(`${name}[${i}] is not a string or number label`);
    if (typeof v !== kind) throw new Error(`${name} mixes string and number labels (index ${i})`);
    if (typeof v === 'number' && !Number.isFinite(v)) throw new Error(`${name}[${i}] is ${v}; labels must be finite`);
  }
}

/** Throw unless the arrays have the same length. */
export function checkSameLength(a: { length: number }, b: { length: number }, nameA: string, nameB: string): void {
  if (a.length !== b.length) throw new Error(`${nameA} has ${a.length} entries but ${nameB} has ${b.length}`);
}

/** Sorted unique labels over all given arrays (scikit-learn's unique_labels). */
export function uniqueLabels(...arrays: readonly (readonly Label[])[]): Label[] {
  const seen = new Set<Label>();
  for (const arr of arrays) for (const v of arr) seen.add(v);
  const out = [...seen];
  if (out.length > 0) {
    const kind = typeof out[0];
    if (out.some((v) => typeof v !== kind)) throw new Error('labels mix strings and numbers across arrays');
  }
  return out.sort(compareLabels);
}

/** Map label → column index; throws on duplicate labels. */
export function labelIndex(labels: readonly Label[]): Map<Label, number> {
  const map = new Map<Label, number>();
  labels.forEach((l, i) => {
    if (map.has(l)) throw new Error(`labels contain ${JSON.stringify(l)} twice`);
    map.set(l, i);
  });
  return map;
}

/** Throw if any value is NaN or not a finite number. */
export function checkFinite(values: ArrayLike<number>, name: string): void {
  if (values.length === 0) throw new Error(`${name} is empty`);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (typeof v !== 'number' || !Number.isFinite(v)) throw new Error(`${name}[${i}] is ${v}; expected a finite number`);
  }
}
