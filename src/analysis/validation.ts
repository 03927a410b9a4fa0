/**
 * Validation helpers: seeded train/test split (optionally stratified), stratified k-fold, group k-fold,
 * repeated runs with mean ± std, grid search and random search. All randomness comes from
 * {@link SeededRandom}, so the same seed gives the same split on every machine.
 */
import { mean, std } from './descriptive.js';
import { checkLabels, compareLabels, type Label } from './labels.js';
import { SeededRandom } from '../core/random.js';

/** Indices into the original data for one split. */
export interface Split {
  train: number[];
  test: number[];
}

function checkCount(n: number, what: string): void {
  if (!Number.isInteger(n) || n < 1) throw new Error(`${what} must be a positive integer, got ${n}`);
}

function groupIndices(labels: readonly Label[]): Map<Label, number[]> {
  const byLabel = new Map<Label, number[]>();
  labels.forEach((l, i) => {
    const list = byLabel.get(l);
    if (list) list.push(i);
    else byLabel.set(l, [i]);
  });
  return new Map([...byLabel].sort((a, b) => compareLabels(a[0], b[0])));
}

/** Test-set size from testSize: a fraction in (0, 1) gives ceil(f·n) like scikit-learn; an integer >= 1 is a count. */
function testCountOf(n: number, testSize: number): number {
  const count = testSize < 1 ? Math.ceil(testSize * n) : testSize;
  if (!Number.isInteger(count) || count < 1 || count >= n) {
    throw new Error(`testSize ${testSize} gives ${count} test samples out of ${n}; need between 1 and ${n - 1}`);
  }
  return count;
}

/**
 * Seeded random train/test split of `n` samples (`testSize`: fraction in (0, 1), default 0.25, or an integer
 * count). With `stratify` (one label per sample) every class is
 * split in proportion, with largest-remainder rounding so the test set has exactly the requested size.
 * Returned index lists are sorted ascending.
 */
export function trainTestSplit(
  n: number,
  options: { testSize?: number; seed?: number; stratify?: readonly Label[] } = {},
): Split {
  checkCount(n, 'n');
  const testCount = testCountOf(n, options.testSize ?? 0.25);
  const rng = new SeededRandom(options.seed ?? 0);
  let test: number[];
  if (options.stratify) {
    checkLabels(options.stratify, 'stratify');
    if (options.stratify.length !== n) throw new Error(`stratify has ${options.stratify.length} labels but n is ${n}`);
    const groups = [...groupIndices(options.stratify).values()];
    const exact = groups.map((g) => (g.length * testCount) / n);
    const take = exact.map(Math.floor);
    let missing = testCount - take.reduce((a, b) => a + b, 0);
    const byRemainder = exact.map((e, i) => i).sort((a, b) => exact[b] - take[b] - (exact[a] - take[a]) || a - b);
    for (const i of byRemainder) {
      if (missing === 0) break;
      if (take[i] < groups[i].length) {
        take[i]++;
        missing--;
      }
    }
    test = groups.flatMap((g, i) => rng.shuffle([...g]).slice(0, take[i]));
  } else {
    test = rng.shuffle(Array.from({ length: n }, (_, i) => i)).slice(0, testCount);
  }
  const inTest = new Set(test);
  return {
    train: Array.from({ length: n }, (_, i) => i).filter((i) => !inTest.has(i)),
    test: [...test].sort((a, b) => a - b),
  };
}

function foldsToSplits(foldOf: number[], k: number): Split[] {
  return Array.from({ length: k }, (_, f) => ({
    train: foldOf.flatMap((g, i) => (g !== f ? [i] : [])),
    test: foldOf.flatMap((g, i) => (g === f ? [i] : [])),
  }));
}

/**
 * Stratified k-fold: each class's samples (shuffled when `shuffle`, with `seed`) are dealt round-robin over
 * the folds, continuing from class to class, so per-class counts and fold sizes differ by at most one.
 * Throws if k exceeds the number of samples; a class smaller than k simply misses some folds.
 */
export function stratifiedKFold(labels: readonly Label[], k: number, options: { shuffle?: boolean; seed?: number } = {}): Split[] {
  checkLabels(labels, 'labels');
  if (!Number.isInteger(k) || k < 2) throw new Error(`k must be an integer >= 2, got ${k}`);
  if (k > labels.length) throw new Error(`k = ${k} is greater than the number of samples (${labels.length})`);
  const rng = new SeededRandom(options.seed ?? 0);
  const foldOf = new Array<number>(labels.length);
  let next = 0;
  for (const members of groupIndices(labels).values()) {
    const order = options.shuffle ? rng.shuffle([...members]) : members;
    for (const i of order) {
      foldOf[i] = next;
      next = (next + 1) % k;
    }
  }
  return foldsToSplits(foldOf, k);
}

/**
 * Group k-fold (e.g. speakers): no group appears in both train and test. Groups are placed largest first
 * into the currently smallest fold (scikit-learn GroupKFold); with `shuffle` the groups are shuffled first
 * (seeded) and ties are broken by that order. Throws if there are fewer groups than folds.
 */
export function groupKFold(groups: readonly Label[], k: number, options: { shuffle?: boolean; seed?: number } = {}): Split[] {
  checkLabels(groups, 'groups');
  if (!Number.isInteger(k) || k < 2) throw new Error(`k must be an integer >= 2, got ${k}`);
  const byGroup = [...groupIndices(groups)];
  if (byGroup.length < k) throw new Error(`cannot make ${k} folds from ${byGroup.length} distinct groups`);
  const ordered = options.shuffle ? new SeededRandom(options.seed ?? 0).shuffle(byGroup) : byGroup;
  const sorted = ordered.map((g, order) => ({ g, order })).sort((a, b) => b.g[1].length - a.g[1].length || a.order - b.order);
  const sizes = new Array<number>(k).fill(0);
  const foldOf = new Array<number>(groups.length);
  for (const { g } of sorted) {
    let f = 0;
    for (let j = 1; j < k; j++) if (sizes[j] < sizes[f]) f = j;
    sizes[f] += g[1].length;
    for (const i of g[1]) foldOf[i] = f;
  }
  return foldsToSplits(foldOf, k);
}

/** Values of one metric over runs with their mean and sample standard deviation (ddof=1; 0 for one run). */
export interface RunStats {
  values: number[];
  mean: number;
  std: number;
}

/**
 * Run `fn` `runs` times with seeds seed, seed+1, … and summarise every numeric metric it returns.
 * `fn` may be async. Metrics that are not finite numbers throw.
 */
export async function repeatedRuns(
  runs: number,
  fn: (seed: number, run: number) => Record<string, number> | Promise<Record<string, number>>,
  options: { seed?: number } = {},
): Promise<Record<string, RunStats>> {
  checkCount(runs, 'runs');
  const base = options.seed ?? 0;
  const collected = new Map<string, number[]>();
  for (let r = 0; r < runs; r++) {
    const metrics = await fn(base + r, r);
    for (const [name, value] of Object.entries(metrics)) {
      if (!Number.isFinite(value)) throw new Error(`run ${r}: metric ${name} is ${value}`);
      const list = collected.get(name) ?? [];
      list.push(value);
      collected.set(name, list);
    }
  }
  const out: Record<string, RunStats> = {};
  for (const [name, values] of collected) {
    if (values.length !== runs) throw new Error(`metric ${name} was returned by ${values.length} of ${runs} runs`);
    out[name] = { values, mean: mean(values), std: values.length > 1 ? std(values) : 0 };
  }
  return out;
}

/** A parameter assignment. */
export type Params = Record<string, unknown>;

/** One evaluated parameter set. */
export interface SearchTrial<P extends Params> {
  params: P;
  score: number;
}

/** Search outcome: best trial plus every trial in evaluation order. */
export interface SearchResult<P extends Params> {
  best: SearchTrial<P>;
  trials: SearchTrial<P>[];
}

/** Options shared by grid and random search. */
export interface SearchOptions {
  /** true (default): higher scores are better. */
  maximize?: boolean;
}

async function evaluate<P extends Params>(
  candidates: P[],
  score: (params: P) => number | Promise<number>,
  options: SearchOptions,
): Promise<SearchResult<P>> {
  const maximize = options.maximize ?? true;
  const trials: SearchTrial<P>[] = [];
  let best: SearchTrial<P> | undefined;
  for (const params of candidates) {
    const s = await score(params);
    if (!Number.isFinite(s)) throw new Error(`score for ${JSON.stringify(params)} is ${s}`);
    const trial = { params, score: s };
    trials.push(trial);
    if (!best || (maximize ? s > best.score : s < best.score)) best = trial;
  }
  if (!best) throw new Error('search space is empty');
  return { best, trials };
}

/**
 * Exhaustive search over the Cartesian product of `space` (name → list of values), in key order with the
 * last key varying fastest. The first trial wins ties.
 */
export async function gridSearch<P extends Params>(
  space: { [K in keyof P]: readonly P[K][] },
  score: (params: P) => number | Promise<number>,
  options: SearchOptions = {},
): Promise<SearchResult<P>> {
  const keys = Object.keys(space) as (keyof P)[];
  let combos: Params[] = [{}];
  for (const key of keys) {
    const values = space[key];
    if (!Array.isArray(values) || values.length === 0) throw new Error(`grid for ${String(key)} has no values`);
    combos = combos.flatMap((c) => values.map((v) => ({ ...c, [key]: v })));
  }
  return evaluate(combos as P[], score, options);
}

/** A random-search dimension: a list to choose from, or a continuous / integer range. */
export type Distribution =
  | readonly unknown[]
  | { uniform: [number, number] }
  | { logUniform: [number, number] }
  | { int: [number, number] };

function sample(dist: Distribution, rng: SeededRandom, key: string): unknown {
  if (Array.isArray(dist)) return rng.choice(dist);
  const d = dist as Exclude<Distribution, readonly unknown[]>;
  if ('uniform' in d) return rng.uniform(d.uniform[0], d.uniform[1]);
  if ('logUniform' in d) {
    const [lo, hi] = d.logUniform;
    if (!(lo > 0 && hi > lo)) throw new Error(`logUniform range for ${key} must satisfy 0 < low < high`);
    return Math.exp(rng.uniform(Math.log(lo), Math.log(hi)));
  }
  if ('int' in d) {
    const [lo, hi] = d.int;
    if (!Number.isInteger(lo) || !Number.isInteger(hi) || hi < lo) throw new Error(`int range for ${key} must be integers low <= high`);
    return lo + rng.int(hi - lo + 1);
  }
  throw new Error(`unknown distribution for ${key}`);
}

/**
 * Random search: `iterations` parameter sets drawn with `seed` from `space`
 * (lists: uniform choice; {uniform:[a,b]}, {logUniform:[a,b]}, {int:[a,b]} inclusive).
 */
export async function randomSearch<P extends Params>(
  space: Record<keyof P, Distribution>,
  score: (params: P) => number | Promise<number>,
  options: SearchOptions & { iterations: number; seed?: number },
): Promise<SearchResult<P>> {
  checkCount(options.iterations, 'iterations');
  const rng = new SeededRandom(options.seed ?? 0);
  const candidates: P[] = [];
  for (let i = 0; i < options.iterations; i++) {
    const p: Params = {};
    for (const key of Object.keys(space)) p[key] = sample(space[key as keyof P], rng, key);
    candidates.push(p as P);
  }
  return evaluate(candidates, score, options);
}
