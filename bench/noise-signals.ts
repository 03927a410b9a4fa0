/**
 * Deterministic (seeded) non-speech test signals for voice-activity measurement: white, pink and brown
 * noise, mains hum, fan/HVAC-like noise, keyboard clicks, music-like tones. Every generator returns
 * Float32 mono PCM in [-1, 1] at the given sample rate with the given overall RMS level (dBFS), and the
 * same (kind, seconds, level, seed) always gives the same samples.
 */

export const NOISE_KINDS = ['white', 'pink', 'brown', 'hum50', 'hum60', 'fan', 'keyboard', 'music'] as const;
export type NoiseKind = (typeof NOISE_KINDS)[number];

/** Deterministic uniform (0, 1) generator (32-bit LCG). */
export function seededUniform(seed: number): () => number {
  let s = (seed * 2654435761) >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return (s + 0.5) / 2 ** 32;
  };
}

/** Standard normal deviates (Box-Muller) from a seeded uniform generator. */
export function seededGaussian(seed: number): () => number {
  const u = seededUniform(seed);
  return () => Math.sqrt(-2 * Math.log(u())) * Math.cos(2 * Math.PI * u());
}

function white(n: number, seed: number): Float64Array {
  const g = seededGaussian(seed);
  const x = new Float64Array(n);
  for (let i = 0; i < n; i++) x[i] = g();
  return x;
}

/** Pink (1/f) noise: Paul Kellet's refined filter on white noise. */
function pink(n: number, seed: number): Float64Array {
  const w = white(n, seed);
  let b0 = 0, b1 = 0, b2 = 0, b3 = 0, b4 = 0, b5 = 0, b6 = 0;
  const x = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const v = w[i];
    b0 = 0.99886 * b0 + v * 0.0555179;
    b1 = 0.99332 * b1 + v * 0.0750759;
    b2 = 0.969 * b2 + v * 0.153852;
    b3 = 0.8665 * b3 + v * 0.3104856;
    b4 = 0.55 * b4 + v * 0.5329522;
    b5 = -0.7616 * b5 - v * 0.016898;
    x[i] = b0 + b1 + b2 + b3 + b4 + b5 + b6 + v * 0.5362;
    b6 = v * 0.115926;
  }
  return x;
}

/** Brown (1/f^2) noise: leaky integral of white noise (the leak keeps it bounded, corner ~1.3 Hz). */
function brown(n: number, seed: number): Float64Array {
  const w = white(n, seed);
  const x = new Float64Array(n);
  let acc = 0;
  for (let i = 0; i < n; i++) {
    acc = 0.9995 * acc + w[i];
    x[i] = acc;
  }
  return x;
}

/** Mains hum: fundamental + 9 harmonics (odd ones stronger, as transformer buzz), slight random phases, a little hiss. */
function hum(n: number, sr: number, f0: number, seed: number): Float64Array {
  const u = seededUniform(seed);
  const hiss = white(n, seed + 1);
  const x = new Float64Array(n);
  const partials = Array.from({ length: 10 }, (_, k) => ({
    f: f0 * (k + 1),
    a: (k % 2 === 0 ? 1 : 0.5) / (k + 1),
    phase: 2 * Math.PI * u(),
  }));
  for (let i = 0; i < n; i++) {
    let v = 0;
    for (const p of partials) v += p.a * Math.sin((2 * Math.PI * p.f * i) / sr + p.phase);
    x[i] = v + 0.01 * hiss[i];
  }
  return x;
}

/** One-pole low-pass in place (cutoff Hz). */
function lowPass(x: Float64Array, sr: number, cutoff: number): void {
  const a = Math.exp((-2 * Math.PI * cutoff) / sr);
  let y = 0;
  for (let i = 0; i < x.length; i++) {
    y = (1 - a) * x[i] + a * y;
    x[i] = y;
  }
}

/**
 * Fan / HVAC: pink noise low-passed twice at 800 Hz, a blade-pass tone (seeded 90..150 Hz) with two
 * harmonics, and a slow (0.3 Hz) +-1.5 dB level wobble.
 */
function fan(n: number, sr: number, seed: number): Float64Array {
  const u = seededUniform(seed + 7);
  const x = pink(n, seed);
  lowPass(x, sr, 800);
  lowPass(x, sr, 800);
  let rms = 0;
  for (let i = 0; i < n; i++) rms += x[i] * x[i];
  rms = Math.sqrt(rms / n);
  const bpf = 90 + 60 * u();
  const wobblePhase = 2 * Math.PI * u();
  for (let i = 0; i < n; i++) {
    const t = i / sr;
    const tone = 0.3 * Math.sin(2 * Math.PI * bpf * t) + 0.15 * Math.sin(4 * Math.PI * bpf * t) + 0.08 * Math.sin(6 * Math.PI * bpf * t);
    const wobble = 10 ** ((1.5 * Math.sin(2 * Math.PI * 0.3 * t + wobblePhase)) / 20);
    x[i] = wobble * (x[i] / rms + tone);
  }
  return x;
}

/**
 * Keyboard typing: clicks at random intervals (mean rate 7 per second, at least 40 ms apart), each a
 * 3..12 ms decaying noise burst plus a damped 2..5 kHz resonance, over a quiet room hiss (-40 dB re clicks).
 */
function keyboard(n: number, sr: number, seed: number): Float64Array {
  const u = seededUniform(seed + 3);
  const g = seededGaussian(seed + 5);
  const x = new Float64Array(n);
  const hiss = pink(n, seed);
  for (let i = 0; i < n; i++) x[i] = 0.003 * hiss[i];
  let at = Math.floor(0.05 * sr * u());
  while (at < n) {
    const decay = (0.003 + 0.009 * u()) * sr;
    const f = 2000 + 3000 * u();
    const amp = 0.3 + 0.7 * u();
    const len = Math.min(n - at, Math.ceil(6 * decay));
    for (let k = 0; k < len; k++) {
      const env = amp * Math.exp(-k / decay);
      x[at + k] += env * (0.6 * g() + Math.sin((2 * Math.PI * f * k) / sr));
    }
    at += Math.floor(0.04 * sr - Math.log(u()) * (sr / 7 - 0.04 * sr));
  }
  return x;
}

/**
 * Music-like tones: a melody of notes from a pentatonic scale (110..880 Hz), 120..600 ms each, each a
 * harmonic tone (8 partials, 1/k amplitudes, seeded timbre) with attack/decay envelope and slight vibrato,
 * sometimes a two-note chord, over a sustained bass drone.
 */
function music(n: number, sr: number, seed: number): Float64Array {
  const u = seededUniform(seed + 11);
  const x = new Float64Array(n);
  const scale = [0, 2, 4, 7, 9];
  const noteHz = () => 110 * 2 ** ((12 * Math.floor(3 * u()) + scale[Math.floor(5 * u())]) / 12);
  const tone = (start: number, len: number, f0: number, amp: number) => {
    const tilt = 0.6 + 0.8 * u();
    const vibRate = 4 + 2 * u();
    const attack = 0.01 * sr;
    for (let k = 0; k < len && start + k < n; k++) {
      const t = k / sr;
      const env = amp * Math.min(1, k / attack) * Math.exp((-2.5 * k) / len);
      const f = f0 * (1 + 0.004 * Math.sin(2 * Math.PI * vibRate * t));
      let v = 0;
      for (let h = 1; h <= 8; h++) v += Math.sin(2 * Math.PI * f * h * t) / h ** tilt;
      x[start + k] += env * v;
    }
  };
  // drone
  const droneHz = 55 * 2 ** (Math.floor(5 * u()) / 12);
  for (let i = 0; i < n; i++) x[i] += 0.15 * (Math.sin((2 * Math.PI * droneHz * i) / sr) + 0.5 * Math.sin((4 * Math.PI * droneHz * i) / sr));
  let at = 0;
  while (at < n) {
    const len = Math.floor((0.12 + 0.48 * u()) * sr);
    tone(at, Math.floor(len * 1.3), noteHz(), 0.6 + 0.4 * u());
    if (u() < 0.3) tone(at, Math.floor(len * 1.3), noteHz(), 0.4);
    at += len;
  }
  return x;
}

/** Scale to the given RMS level (dBFS) and clip to [-1, 1] (impulsive kinds may clip at loud levels). */
function toLevel(x: Float64Array, levelDb: number): Float32Array {
  let ms = 0;
  for (let i = 0; i < x.length; i++) ms += x[i] * x[i];
  const gain = 10 ** (levelDb / 20) / Math.sqrt(ms / x.length || 1);
  const out = new Float32Array(x.length);
  for (let i = 0; i < x.length; i++) out[i] = Math.max(-1, Math.min(1, x[i] * gain));
  return out;
}

/** `seconds` of the given noise kind at RMS `levelDb` dBFS. */
export function noiseSignal(kind: NoiseKind, seconds: number, levelDb: number, seed: number, sampleRate = 16000): Float32Array {
  const n = Math.round(seconds * sampleRate);
  const raw = (() => {
    switch (kind) {
      case 'white':
        return white(n, seed);
      case 'pink':
        return pink(n, seed);
      case 'brown':
        return brown(n, seed);
      case 'hum50':
        return hum(n, sampleRate, 50, seed);
      case 'hum60':
        return hum(n, sampleRate, 60, seed);
      case 'fan':
        return fan(n, sampleRate, seed);
      case 'keyboard':
        return keyboard(n, sampleRate, seed);
      case 'music':
        return music(n, sampleRate, seed);
    }
  })();
  return toLevel(raw, levelDb);
}
