/**
 * The frequency (Hz, to `stepHz`) with the most power in `samples` read at `sampleRate`, searched over
 * [fromHz, toHz] with a Hann-windowed Goertzel filter per candidate frequency. Read at the wrong rate,
 * a tone's dominant frequency moves by the ratio of the rates.
 */
export function dominantFrequency(samples: ArrayLike<number>, sampleRate: number, fromHz: number, toHz: number, stepHz = 1): number {
  const n = samples.length;
  if (n < 2) throw new Error(`dominantFrequency needs at least 2 samples, got ${n}`);
  const windowed = new Float64Array(n);
  for (let i = 0; i < n; i++) windowed[i] = samples[i] * (0.5 - 0.5 * Math.cos((2 * Math.PI * i) / (n - 1)));
  let best = fromHz;
  let bestPower = -1;
  for (let f = fromHz; f <= toHz; f += stepHz) {
    const coeff = 2 * Math.cos((2 * Math.PI * f) / sampleRate);
    let s1 = 0;
    let s2 = 0;
    for (let i = 0; i < n; i++) {
      const s0 = windowed[i] + coeff * s1 - s2;
      s2 = s1;
      s1 = s0;
    }
    const power = s1 * s1 + s2 * s2 - coeff * s1 * s2;
    if (power > bestPower) {
      bestPower = power;
      best = f;
    }
  }
  return best;
}
