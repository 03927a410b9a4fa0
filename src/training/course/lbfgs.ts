/**
 * Limited-memory BFGS for smooth unconstrained minimisation (Nocedal & Wright, Alg. 7.4 with a
 * backtracking Armijo line search). Used by the logistic regression, squared-hinge linear SVM
 * and ridge regression of the course models.
 */
export interface LbfgsOptions {
  maxIterations?: number;
  /** History size. */
  memory?: number;
  /** Stop when ||g||_inf <= gradientTolerance. */
  gradientTolerance?: number;
  /** Stop when the relative decrease of f is below this. */
  functionTolerance?: number;
}

export interface LbfgsResult {
  x: Float64Array;
  f: number;
  iterations: number;
  converged: boolean;
}

/** `fg(x, grad)` returns f(x) and writes the gradient into `grad`. */
export function minimizeLbfgs(fg: (x: Float64Array, grad: Float64Array) => number, x0: Float64Array, options: LbfgsOptions = {}): LbfgsResult {
  const n = x0.length;
  const m = options.memory ?? 10;
  const maxIt = options.maxIterations ?? 500;
  const gtol = options.gradientTolerance ?? 1e-6;
  const ftol = options.functionTolerance ?? 1e-10;
  const x = Float64Array.from(x0);
  const g = new Float64Array(n);
  let f = fg(x, g);
  const S: Float64Array[] = [];
  const Y: Float64Array[] = [];
  const rho: number[] = [];
  const d = new Float64Array(n);
  const xNew = new Float64Array(n);
  const gNew = new Float64Array(n);
  const alpha = new Float64Array(m);
  let it = 0;
  let converged = false;
  const infNorm = (v: Float64Array) => {
    let s = 0;
    for (let i = 0; i < v.length; i++) s = Math.max(s, Math.abs(v[i]));
    return s;
  };
  if (infNorm(g) <= gtol) return { x, f, iterations: 0, converged: true };
  for (; it < maxIt; it++) {
    // two-loop recursion: d = -H g
    for (let i = 0; i < n; i++) d[i] = -g[i];
    for (let k = S.length - 1; k >= 0; k--) {
      let a = 0;
      for (let i = 0; i < n; i++) a += S[k][i] * d[i];
      a *= rho[k];
      alpha[k] = a;
      for (let i = 0; i < n; i++) d[i] -= a * Y[k][i];
    }
    if (S.length > 0) {
      const last = S.length - 1;
      let yy = 0;
      for (let i = 0; i < n; i++) yy += Y[last][i] * Y[last][i];
      const gamma = 1 / (rho[last] * yy);
      for (let i = 0; i < n; i++) d[i] *= gamma;
    } else {
      const gn = Math.sqrt(g.reduce((a, v) => a + v * v, 0));
      for (let i = 0; i < n; i++) d[i] /= Math.max(1, gn);
    }
    for (let k = 0; k < S.length; k++) {
      let b = 0;
      for (let i = 0; i < n; i++) b += Y[k][i] * d[i];
      b *= rho[k];
      for (let i = 0; i < n; i++) d[i] += S[k][i] * (alpha[k] - b);
    }
    let gd = 0;
    for (let i = 0; i < n; i++) gd += g[i] * d[i];
    if (gd >= 0) {
      // not a descent direction: restart with steepest descent
      S.length = 0;
      Y.length = 0;
      rho.length = 0;
      gd = 0;
      for (let i = 0; i < n; i++) {
        d[i] = -g[i];
        gd -= g[i] * g[i];
      }
    }
    let step = 1;
    let fNew = Number.POSITIVE_INFINITY;
    for (let ls = 0; ls < 40; ls++) {
      for (let i = 0; i < n; i++) xNew[i] = x[i] + step * d[i];
      fNew = fg(xNew, gNew);
      if (Number.isFinite(fNew) && fNew <= f + 1e-4 * step * gd) break;
      step *= 0.5;
    }
    if (!(fNew <= f)) break;
    const s = new Float64Array(n);
    const y = new Float64Array(n);
    let sy = 0;
    for (let i = 0; i < n; i++) {
      s[i] = xNew[i] - x[i];
      y[i] = gNew[i] - g[i];
      sy += s[i] * y[i];
    }
    const fOld = f;
    x.set(xNew);
    g.set(gNew);
    f = fNew;
    if (sy > 1e-12) {
      S.push(s);
      Y.push(y);
      rho.push(1 / sy);
      if (S.length > m) {
        S.shift();
        Y.shift();
        rho.shift();
      }
    }
    if (infNorm(g) <= gtol || Math.abs(fOld - f) <= ftol * Math.max(1, Math.abs(f))) {
      converged = true;
      it++;
      break;
    }
  }
  return { x, f, iterations: it, converged };
}
