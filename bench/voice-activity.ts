/**
 * Voice activity: how often windows without speech would be answered with an emotion, and how many
 * speech windows are kept.
 *
 *   npx tsx bench/voice-activity.ts          (or: npm run bench -- voice-activity)
 *
 * Windows are cut exactly as serving cuts them: the streaming extractor with the feature settings of the
 * shipped emotion model's manifest (models/emotion/<BENCH_VAD_MODEL_VERSION, default 4>). A window with
 * `speech: false` is answered "silence"; one with `speech: true` gets an emotion.
 *
 * Measured (one JSON document on stdout, progress on stderr):
 *  - noiseOnly: seeded generated noise (bench/noise-signals.ts: white, pink, brown, hum 50/60 Hz, fan/HVAC,
 *    keyboard clicks, music-like tones) at -60 .. -20 dBFS, each kind/level as 2 recordings of 20 s, noise
 *    from the first sample; fraction of windows flagged speech. Target: at most 2 %.
 *  - noiseOnset: the same noises starting after 3 s of near-silence (-90 dBFS hiss), so any adaptive noise
 *    floor starts far below the noise.
 *  - ravdess: every clip (or BENCH_VAD_CLIPS per actor): reference speech region per clip from its own
 *    energy envelope, offline (first to last 20 ms frame within 40 dB of the clip's loudest frame, widened
 *    by 150 ms before and 250 ms after); windows with >= 0.5 s of reference speech are speech windows
 *    (recall = fraction flagged speech). The silent lead-ins and tails (outside the widened region),
 *    concatenated per actor (10 ms cross-fades), are real studio background: fraction flagged.
 *  - speechInNoise: RAVDESS clips (6 actors x 6 clips) placed 2 s apart in a continuous noise bed (4 s of
 *    noise first) at 20 and 10 dB SNR (speech-region RMS over noise RMS): speech window recall (windows
 *    with >= 0.5 s and >= 1 s of reference speech), and the fraction of windows with no reference speech
 *    (pure noise between the clips) flagged speech.
 *  - babble (reported separately, it is speech): 6 overlapping RAVDESS talkers.
 *  - chunking: decisions of a streamed run in seeded random chunks equal those of one push.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot, requireDataPath } from '../src/core/paths.js';
import { parseAudioFeatureSettings, type AudioFeatureSettings, type AudioFeatureSettingsInput } from '../src/features/audio/settings.js';
import { extractFile, StreamingFeatureExtractor, type FeatureWindow } from '../src/features/audio/streaming-extractor.js';
import { loadWavFile } from '../src/features/audio/wav.js';
import { NOISE_KINDS, noiseSignal, seededUniform, type NoiseKind } from './noise-signals.js';
import { runIfExecutedDirectly } from './run-directly.js';

const SR = 16000;
const LEVELS_DB = [-60, -50, -40, -30, -20];
const SEEDS = [1, 2];
const NOISE_SECONDS = 20;
const SPEECH_MIN_SECONDS = 0.5;
const TARGET_NOISE_FRACTION = 0.02;
const TARGET_SPEECH_RECALL = 0.97;
const IN_NOISE_KINDS: NoiseKind[] = ['white', 'pink', 'fan', 'hum50', 'keyboard', 'music'];
const SNRS_DB = [20, 10];

const log = (msg: string) => process.stderr.write(`[voice-activity] ${msg}\n`);
const round = (x: number, d = 4) => Math.round(x * 10 ** d) / 10 ** d;

function modelSettings(): { model: string; settings: AudioFeatureSettings } {
  const version = process.env.BENCH_VAD_MODEL_VERSION ?? '4';
  const file = join(repoRoot, 'models', 'emotion', version, 'manifest.json');
  const manifest = JSON.parse(readFileSync(file, 'utf8')) as { features: { settings: AudioFeatureSettingsInput } };
  const settings = parseAudioFeatureSettings(manifest.features.settings);
  const override = process.env.BENCH_VAD_SETTINGS; // JSON merged into settings.vad, for experiments
  if (override) return { model: `emotion@${version} (vad override)`, settings: parseAudioFeatureSettings({ ...settings, vad: { ...settings.vad, ...(JSON.parse(override) as object) } }) };
  return { model: `emotion@${version}`, settings };
}

interface Count {
  windows: number;
  speech: number;
}
const fraction = (c: Count) => (c.windows === 0 ? null : round(c.speech / c.windows));
const add = (a: Count, b: Count) => ({ windows: a.windows + b.windows, speech: a.speech + b.speech });
const countOf = (ws: FeatureWindow[]): Count => ({ windows: ws.length, speech: ws.filter((w) => w.speech).length });

interface Clip {
  actor: string;
  name: string;
  pcm: Float32Array;
  /** Reference speech region, seconds. */
  speechStart: number;
  speechEnd: number;
}

/** Offline reference speech region (seconds) of a clean clip from its frame energies (see file comment). */
export function referenceRegion(pcm: Float32Array): { start: number; end: number } {
  const hop = 320;
  const len = 400;
  const e: number[] = [];
  for (let s = 0; s + len <= pcm.length; s += hop) {
    let ms = 0;
    for (let k = 0; k < len; k++) ms += pcm[s + k] * pcm[s + k];
    e.push(10 * Math.log10(ms / len + 1e-12));
  }
  const max = Math.max(...e);
  const first = e.findIndex((v) => v >= max - 40);
  let last = e.length - 1;
  while (e[last] < max - 40) last--;
  return { start: Math.max(0, (first * hop) / SR - 0.15), end: Math.min(pcm.length / SR, (last * hop + len) / SR + 0.25) };
}

function loadClips(perActor: number | null): Clip[] {
  const root = requireDataPath('ravdess', 'RAVDESS data');
  const clips: Clip[] = [];
  for (const actor of readdirSync(root).filter((d) => d.startsWith('Actor_')).sort()) {
    let files = readdirSync(join(root, actor)).filter((f) => f.endsWith('.wav')).sort();
    if (perActor !== null) files = files.filter((_, i) => i % Math.max(1, Math.floor(files.length / perActor)) === 0).slice(0, perActor);
    for (const name of files) {
      const wav = loadWavFile(join(root, actor, name));
      if (wav.sampleRate !== SR || wav.channels !== 1) throw new Error(`${name}: expected 16 kHz mono`);
      const pcm = Float32Array.from(wav.pcm, (v) => v / 32768);
      const { start, end } = referenceRegion(pcm);
      clips.push({ actor, name, pcm, speechStart: start, speechEnd: end });
    }
  }
  return clips;
}

const overlap = (w: FeatureWindow, regions: { start: number; end: number }[]) =>
  regions.reduce((a, r) => a + Math.max(0, Math.min(w.endSec, r.end) - Math.max(w.startSec, r.start)), 0);

/** Concatenate with 10 ms linear cross-fades (no clicks at the joins). */
function concatenate(parts: Float32Array[]): Float32Array {
  const fade = Math.round(0.01 * SR);
  const total = parts.reduce((a, p) => a + p.length, 0) - fade * Math.max(0, parts.length - 1);
  const out = new Float32Array(Math.max(0, total));
  let at = 0;
  parts.forEach((p, i) => {
    for (let k = 0; k < p.length; k++) {
      const g = i > 0 && k < fade ? k / fade : 1;
      const h = i < parts.length - 1 && k >= p.length - fade ? (p.length - k) / fade : 1;
      out[at + k] += p[k] * g * h;
    }
    at += p.length - fade;
  });
  return out;
}

function rmsOf(x: Float32Array, from = 0, to = x.length): number {
  let ms = 0;
  for (let i = from; i < to; i++) ms += x[i] * x[i];
  return Math.sqrt(ms / Math.max(1, to - from));
}

function streamInChunks(pcm: Float32Array, settings: AudioFeatureSettings, seed: number): FeatureWindow[] {
  const rnd = seededUniform(seed);
  const ex = new StreamingFeatureExtractor(settings);
  const out: FeatureWindow[] = [];
  for (let at = 0; at < pcm.length; ) {
    const size = 1 + Math.floor(rnd() * 4000);
    out.push(...ex.push(pcm.subarray(at, at + size)));
    at += size;
  }
  return [...out, ...ex.flush()];
}

export async function run() {
  const t0 = Date.now();
  const { model, settings } = modelSettings();
  log(`${model}: windows ${settings.windowSeconds} s every ${settings.windowHopSeconds} s, vad ${JSON.stringify(settings.vad)}`);
  let chunkChecks = 0;
  let chunkMismatches = 0;
  const checkChunking = (pcm: Float32Array, batch: FeatureWindow[], seed: number) => {
    const streamed = streamInChunks(pcm, settings, seed);
    chunkChecks++;
    if (streamed.map((w) => `${w.startFrame}:${w.speech}`).join() !== batch.map((w) => `${w.startFrame}:${w.speech}`).join()) chunkMismatches++;
  };

  // --- noise only (from the first sample) and after near-silence
  const noiseOnly: Record<string, Record<string, Count & { fraction: number | null }>> = {};
  const noiseOnset: Record<string, Record<string, Count & { fraction: number | null }>> = {};
  let noiseTotal: Count = { windows: 0, speech: 0 };
  let onsetTotal: Count = { windows: 0, speech: 0 };
  const quiet = noiseSignal('white', 3, -90, 99);
  for (const kind of NOISE_KINDS) {
    noiseOnly[kind] = {};
    noiseOnset[kind] = {};
    for (const level of LEVELS_DB) {
      let c: Count = { windows: 0, speech: 0 };
      let o: Count = { windows: 0, speech: 0 };
      for (const seed of SEEDS) {
        const noise = noiseSignal(kind, NOISE_SECONDS, level, seed);
        const ws = extractFile(noise, settings);
        c = add(c, countOf(ws));
        if (seed === SEEDS[0] && level === -30) checkChunking(noise, ws, seed + 100);
        const withLead = new Float32Array(quiet.length + noise.length);
        withLead.set(quiet);
        withLead.set(noise, quiet.length);
        o = add(o, countOf(extractFile(withLead, settings).filter((w) => w.endSec > quiet.length / SR + 0.5)));
      }
      noiseOnly[kind][String(level)] = { ...c, fraction: fraction(c) };
      noiseOnset[kind][String(level)] = { ...o, fraction: fraction(o) };
      noiseTotal = add(noiseTotal, c);
      onsetTotal = add(onsetTotal, o);
    }
    log(`noise ${kind}: ${LEVELS_DB.map((l) => `${l} dB ${noiseOnly[kind][String(l)].speech}/${noiseOnly[kind][String(l)].windows}`).join(', ')}`);
  }

  // --- RAVDESS clips and their silences
  const perActorEnv = process.env.BENCH_VAD_CLIPS;
  const clips = loadClips(perActorEnv ? Number(perActorEnv) : null);
  log(`RAVDESS: ${clips.length} clips`);
  let speechWin: Count = { windows: 0, speech: 0 };
  let partialWin: Count = { windows: 0, speech: 0 };
  let clipsWithSpeech = 0;
  const silenceByActor = new Map<string, Float32Array[]>();
  const missedByActor: Record<string, number> = {};
  clips.forEach((clip, i) => {
    const ws = extractFile(clip.pcm, settings);
    if (i % 97 === 0) checkChunking(clip.pcm, ws, i);
    const region = [{ start: clip.speechStart, end: clip.speechEnd }];
    for (const w of ws) {
      const s = overlap(w, region);
      if (s >= SPEECH_MIN_SECONDS) {
        speechWin = add(speechWin, { windows: 1, speech: w.speech ? 1 : 0 });
        if (!w.speech) missedByActor[clip.actor] = (missedByActor[clip.actor] ?? 0) + 1;
      } else if (s > 0) partialWin = add(partialWin, { windows: 1, speech: w.speech ? 1 : 0 });
    }
    if (ws.some((w) => w.speech)) clipsWithSpeech++;
    const parts = silenceByActor.get(clip.actor) ?? [];
    const lead = clip.pcm.subarray(0, Math.floor(clip.speechStart * SR));
    const tail = clip.pcm.subarray(Math.ceil(clip.speechEnd * SR));
    if (lead.length > 0.05 * SR) parts.push(lead);
    if (tail.length > 0.05 * SR) parts.push(tail);
    silenceByActor.set(clip.actor, parts);
  });
  let silence: Count = { windows: 0, speech: 0 };
  let silenceSeconds = 0;
  const silenceLevels: number[] = [];
  for (const parts of silenceByActor.values()) {
    const x = concatenate(parts);
    silenceSeconds += x.length / SR;
    silenceLevels.push(20 * Math.log10(rmsOf(x) + 1e-12));
    silence = add(silence, countOf(extractFile(x, settings)));
  }
  log(`RAVDESS speech windows kept ${speechWin.speech}/${speechWin.windows}, silence flagged ${silence.speech}/${silence.windows}`);

  // --- speech in a noise bed
  const actors = [...new Set(clips.map((c) => c.actor))].filter((_, i) => i % 3 === 0);
  const speechInNoise: Record<string, Record<string, { speechWindows: number; kept: number; recall: number | null; recallAtLeast1s: number | null; noiseWindows: number; noiseFlagged: number; noiseFraction: number | null }>> = {};
  for (const kind of IN_NOISE_KINDS) {
    speechInNoise[kind] = {};
    for (const snr of SNRS_DB) {
      let sp: Count = { windows: 0, speech: 0 };
      let sp1: Count = { windows: 0, speech: 0 };
      let nz: Count = { windows: 0, speech: 0 };
      actors.forEach((actor, ai) => {
        const chosen = clips.filter((c) => c.actor === actor).filter((_, i, a) => i % Math.max(1, Math.floor(a.length / 6)) === 0).slice(0, 6);
        const gap = 2 * SR;
        const lead = 4 * SR;
        const total = lead + chosen.reduce((a, c) => a + c.pcm.length + gap, 0);
        const mix = new Float32Array(total);
        const regions: { start: number; end: number }[] = [];
        let speechMs = 0;
        let speechN = 0;
        let at = lead;
        for (const c of chosen) {
          mix.set(c.pcm, at);
          regions.push({ start: at / SR + c.speechStart, end: at / SR + c.speechEnd });
          const r = rmsOf(c.pcm, Math.floor(c.speechStart * SR), Math.floor(c.speechEnd * SR));
          speechMs += r * r * (c.speechEnd - c.speechStart);
          speechN += c.speechEnd - c.speechStart;
          at += c.pcm.length + gap;
        }
        const speechDb = 10 * Math.log10(speechMs / speechN);
        const noise = noiseSignal(kind, total / SR, speechDb - snr, 1000 + ai);
        for (let k = 0; k < total; k++) mix[k] = Math.max(-1, Math.min(1, mix[k] + noise[k]));
        const ws = extractFile(mix, settings);
        if (ai === 0 && snr === SNRS_DB[1]) checkChunking(mix, ws, 7 + ai);
        for (const w of ws) {
          const s = overlap(w, regions);
          if (s >= 1) sp1 = add(sp1, { windows: 1, speech: w.speech ? 1 : 0 });
          if (s >= SPEECH_MIN_SECONDS) sp = add(sp, { windows: 1, speech: w.speech ? 1 : 0 });
          else if (s === 0) nz = add(nz, { windows: 1, speech: w.speech ? 1 : 0 });
        }
      });
      speechInNoise[kind][String(snr)] = {
        speechWindows: sp.windows,
        kept: sp.speech,
        recall: fraction(sp),
        recallAtLeast1s: fraction(sp1),
        noiseWindows: nz.windows,
        noiseFlagged: nz.speech,
        noiseFraction: fraction(nz),
      };
    }
    log(`speech in ${kind}: ${SNRS_DB.map((s) => `${s} dB recall ${speechInNoise[kind][String(s)].recall} noise ${speechInNoise[kind][String(s)].noiseFlagged}/${speechInNoise[kind][String(s)].noiseWindows}`).join(', ')}`);
  }

  // --- babble (speech, reported separately)
  const rnd = seededUniform(77);
  const babble = new Float32Array(20 * SR);
  for (let talker = 0; talker < 6; talker++) {
    for (let at = Math.floor(rnd() * SR); at < babble.length; ) {
      const c = clips[Math.floor(rnd() * clips.length)];
      const seg = c.pcm.subarray(Math.floor(c.speechStart * SR), Math.floor(c.speechEnd * SR));
      for (let k = 0; k < seg.length && at + k < babble.length; k++) babble[at + k] += seg[k] / 3;
      at += seg.length;
    }
  }
  const babbleCount = countOf(extractFile(babble, settings));

  const noiseFraction = fraction(noiseTotal) ?? 0;
  const recall = fraction(speechWin) ?? 0;
  return {
    suite: 'voice-activity',
    model,
    windowSeconds: settings.windowSeconds,
    windowHopSeconds: settings.windowHopSeconds,
    vad: settings.vad,
    target: { maxNoiseOnlySpeechFraction: TARGET_NOISE_FRACTION, minSpeechRecall: TARGET_SPEECH_RECALL },
    summary: {
      noiseOnlyWindows: noiseTotal.windows,
      noiseOnlyFlaggedSpeech: noiseTotal.speech,
      noiseOnlyFraction: noiseFraction,
      noiseOnsetFraction: fraction(onsetTotal),
      ravdessSpeechRecall: recall,
      ravdessSilenceFlaggedFraction: fraction(silence),
      targetMet: noiseFraction <= TARGET_NOISE_FRACTION && recall >= TARGET_SPEECH_RECALL,
      chunkingInvariant: chunkMismatches === 0,
    },
    noiseOnly,
    noiseOnset: { ...noiseOnset, total: { ...onsetTotal, fraction: fraction(onsetTotal) } },
    ravdess: {
      clips: clips.length,
      clipsWithASpeechWindow: clipsWithSpeech,
      speechWindows: speechWin.windows,
      speechWindowsKept: speechWin.speech,
      speechRecall: recall,
      missedSpeechWindowsByActor: missedByActor,
      partialWindows: { ...partialWin, fraction: fraction(partialWin), note: `windows with less than ${SPEECH_MIN_SECONDS} s of reference speech, not scored` },
      silence: { seconds: round(silenceSeconds, 1), rmsDbMin: round(Math.min(...silenceLevels), 1), rmsDbMax: round(Math.max(...silenceLevels), 1), ...silence, fraction: fraction(silence) },
    },
    speechInNoise,
    babble: { ...babbleCount, fraction: fraction(babbleCount), note: 'six overlapping RAVDESS talkers: speech, not part of the noise-only target' },
    chunking: { checks: chunkChecks, mismatches: chunkMismatches },
    seconds: round((Date.now() - t0) / 1000, 1),
  };
}

runIfExecutedDirectly(import.meta.url, run);
