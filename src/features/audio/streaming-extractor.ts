import { ColumnPrefixSums } from './column-prefix-sums.js';
import { foldedDctInto } from './dsp/dct.js';
import { centredDeltaRow, deltaCoefficients, deltasInto } from './dsp/deltas.js';
import type { FrameExtractorName } from './extractors.js';
import { WINDOW_FEATURES, windowFeatureNames } from './feature-layout.js';
import { FrameAnalyzer } from './frame-analyzer.js';
import { framePlan, type FramePlan } from './frame-plan.js';
import { cmvnFromSums, globalAffine, normalizeInto } from './normalization.js';
import { assertFiniteSamples, pcmIntoFloat64 } from './pcm.js';
import {
  assertReproducible,
  parseAudioFeatureSettings,
  type AudioFeatureSettings,
  type AudioFeatureSettingsInput,
  type DerivedSizes,
} from './settings.js';
import { isSpeechWindow, VoiceActivityDetector } from './voice-activity.js';

/** One fixed-length block of feature rows for the model. */
export interface FeatureWindow {
  /** 0-based sequence number of the window in its stream. */
  index: number;
  /** Row-major [framesPerWindow][nFeatures]; rows >= validFrames are zero padding. */
  features: Float32Array;
  framesPerWindow: number;
  nFeatures: number;
  /** Frames holding real audio (= framesPerWindow except for a short final window). */
  validFrames: number;
  /** Stream frame index of the first row (frame i covers samples [i*hop, i*hop + nFft)). */
  startFrame: number;
  /** First sample of the first frame, in seconds from stream start. */
  startSec: number;
  /** One past the last sample of the last real frame, in seconds. */
  endSec: number;
  /** Energy of the real frames: 10*log10(mean over frames of the frame mean square), dBFS, floored at -100. */
  rmsDb: number;
  /** Voice activity: false means "do not classify an emotion for this window". */
  speech: boolean;
  speechFrames: number;
  /** True for the window emitted by flush(). */
  final: boolean;
}

/**
 * Per-stream feature extractor. Push PCM chunks of any size; frames are computed once each, as soon as
 * their nFft samples are available (center=False framing: frame i covers [i*hop, i*hop + nFft)), and a
 * window of `windowSeconds` is emitted every `windowHopSeconds` (window k starts at frame k*windowHopFrames).
 *
 * End of stream (`flush()`): frames not covered by any emitted window get one final window:
 *  - if the stream has at least framesPerWindow frames: a full window ending at the last frame
 *    (it overlaps the previous window more than usual; no padding);
 *  - otherwise (stream shorter than one window, nothing emitted yet): a window of the real frames,
 *    zero-padded to framesPerWindow rows, emitted only with at least `minFinalWindowSeconds` of frames.
 * Trailing samples too few for a whole frame are not analysed (as librosa with center=False).
 *
 * Per-window features: top_db clipping (when set), deltas and normalisation are computed over the
 * window's real frames, i.e. exactly librosa applied to the window's frames. Without top_db a frame's
 * feature row does not depend on the window, so it is built once per frame (its centred deltas included:
 * inside a window, librosa's 'interp' edges only replace the first and last `half` rows' deltas by those
 * of the nearest centred row), and per-window CMVN statistics come from column prefix sums
 * (column-prefix-sums.ts) instead of a pass over the window. With top_db every window is computed from
 * its frames' log-mel.
 * Batch extraction (`extractFile`) runs the same class, so streaming and batch are identical.
 */
export class StreamingFeatureExtractor {
  readonly settings: AudioFeatureSettings;
  readonly sizes: DerivedSizes;
  readonly plan: FramePlan;
  private readonly analyzer: FrameAnalyzer;
  private readonly vad: VoiceActivityDetector;
  private readonly recordWidth: number;
  /** Record slots after the analyzer's values: speech flag (0/1) and the frame mean square 10^(energyDb/10). */
  private readonly speechSlot: number;
  private readonly energySlot: number;
  private readonly spectralWidth: number;
  private readonly deltaCoefs: Float64Array[];
  /** Rows whose deltas come from the nearest centred row at each end of a window (0 without deltas). */
  private readonly deltaHalf: number;
  /** Feature-row columns [spectralWidth, deltaEnd) are the deltas. */
  private readonly deltaEnd: number;
  /** Spectral blocks in feature-row order: where they sit in a frame record and in a feature row. */
  private readonly spectralBlocks: Block[];
  /** Every per-frame block of a feature row (spectral, then rms / zcr / contrast / chroma). */
  private readonly frameBlocks: Block[];
  /** True without top_db: feature rows are built once per frame (see class doc). */
  private readonly rowsPerFrame: boolean;

  // pending samples: samples[0 .. sampleCount) are stream samples starting at bufferStartSample
  private samples: Float64Array;
  private sampleCount = 0;
  private bufferStartSample = 0;

  // frame store: rows [0 .. storedFrames) are stream frames starting at storeStartFrame; `store` holds the
  // analyzer records, `rows` (rowsPerFrame only) the feature rows, `prefix` (per-window CMVN only) their sums
  private store: Float64Array;
  private readonly rows: Float64Array;
  private readonly prefix: ColumnPrefixSums | null;
  private readonly storeCapacity: number;
  private storedFrames = 0;
  private storeStartFrame = 0;

  private framesComputed = 0;
  private nextWindowStart = 0;
  private coveredUntilFrame = 0;
  private windowsEmitted = 0;
  private flushed = false;

  // window scratch
  private readonly matrix: Float64Array;
  private readonly clipped: Float64Array;
  private readonly scratchMean: Float64Array;
  private readonly scratchScale: Float64Array;

  constructor(settings: AudioFeatureSettings | AudioFeatureSettingsInput = {}) {
    this.settings = parseAudioFeatureSettings(settings as AudioFeatureSettingsInput);
    this.sizes = assertReproducible(this.settings);
    this.plan = framePlan(this.settings);
    const s = this.settings;
    const { framesPerWindow, nFeatures } = this.sizes;
    this.rowsPerFrame = s.topDb === null;
    // Every frame needs the VAD's inputs; the model's features come from the registry. With topDb set,
    // MFCCs are taken per window from the clipped log-mel, so the log-mel is kept instead.
    const features = windowFeatureNames(s.features);
    const names: FrameExtractorName[] = [
      'energyDb',
      'melFlatness',
      'voiceMeasures',
      ...(this.rowsPerFrame ? [] : (['logMel'] as const)),
      ...features.filter((n) => this.rowsPerFrame || n !== 'mfcc'),
    ];
    this.analyzer = new FrameAnalyzer(this.plan, names);
    this.spectralWidth = features.filter((n) => WINDOW_FEATURES[n].spectral).reduce((a, n) => a + WINDOW_FEATURES[n].columns(s).length, 0);
    this.speechSlot = this.analyzer.recordWidth;
    this.energySlot = this.speechSlot + 1;
    this.recordWidth = this.energySlot + 1;
    this.vad = new VoiceActivityDetector(s.vad, s.hopLength / s.sampleRate);
    this.deltaCoefs = [];
    if (s.deltaOrder >= 1) this.deltaCoefs.push(deltaCoefficients(s.deltaWidth, 1));
    if (s.deltaOrder >= 2) this.deltaCoefs.push(deltaCoefficients(s.deltaWidth, 2));
    this.deltaHalf = s.deltaOrder > 0 ? (s.deltaWidth - 1) / 2 : 0;
    this.deltaEnd = this.spectralWidth * (1 + s.deltaOrder);
    const layout = this.analyzer.layout;
    this.spectralBlocks = [];
    if (s.features.logMel) this.spectralBlocks.push({ recordOffset: layout.logMel!.offset, column: 0, width: s.nMels });
    if (s.features.mfcc && layout.mfcc) {
      this.spectralBlocks.push({ recordOffset: layout.mfcc.offset, column: s.features.logMel ? s.nMels : 0, width: s.nMfcc });
    }
    this.frameBlocks = [...this.spectralBlocks];
    let column = this.deltaEnd;
    for (const name of ['rms', 'zcr', 'spectralContrast', 'chroma'] as const) {
      const block = layout[name];
      if (!s.features[name] || !block) continue;
      this.frameBlocks.push({ recordOffset: block.offset, column, width: block.width });
      column += block.width;
    }

    this.samples = new Float64Array(Math.max(4 * s.nFft, 8192));
    this.storeCapacity = 2 * framesPerWindow + 1;
    this.store = new Float64Array(this.storeCapacity * this.recordWidth);
    this.rows = new Float64Array(this.rowsPerFrame ? this.storeCapacity * nFeatures : 0);
    this.prefix = this.rowsPerFrame && s.normalization.kind === 'perWindowCmvn' ? new ColumnPrefixSums(this.storeCapacity, nFeatures) : null;
    this.matrix = new Float64Array(this.rowsPerFrame ? 0 : framesPerWindow * nFeatures);
    this.clipped = new Float64Array(s.nMels);
    this.scratchMean = new Float64Array(nFeatures);
    this.scratchScale = new Float64Array(nFeatures);
  }

  get framesPerWindow(): number {
    return this.sizes.framesPerWindow;
  }

  get nFeatures(): number {
    return this.sizes.nFeatures;
  }

  /** Frames analysed so far. */
  get frameCount(): number {
    return this.framesComputed;
  }

  /**
   * Add PCM (Int16 full scale 32768, or Float32 in [-1, 1]) and return the windows completed by it.
   * An empty chunk is a no-op. Throws (without changing state) for other types or non-finite samples.
   */
  push(pcm: Int16Array | Float32Array): FeatureWindow[] {
    if (this.flushed) throw new Error('StreamingFeatureExtractor.push: the stream was already flushed; call reset() to start a new one');
    checkPcm(pcm);
    const windows: FeatureWindow[] = [];
    // a long chunk (a whole file) goes through in slices, so the sample buffer stays small and cache-warm
    for (let at = 0; at < pcm.length; at += PUSH_SLICE_SAMPLES) {
      const to = Math.min(pcm.length, at + PUSH_SLICE_SAMPLES);
      this.appendSamples(pcm, at, to);
      this.analyzeAvailableFrames(windows);
      this.dropConsumedSamples();
    }
    return windows;
  }

  /** End of stream: returns the final window (see class doc), or none. Further pushes throw until reset(). */
  flush(): FeatureWindow[] {
    if (this.flushed) return [];
    this.flushed = true;
    const total = this.framesComputed;
    const { framesPerWindow, minFinalWindowFrames } = this.sizes;
    if (total <= this.coveredUntilFrame) return [];
    if (total >= framesPerWindow) return [this.emitWindow(total - framesPerWindow, framesPerWindow, true)];
    if (total >= minFinalWindowFrames) return [this.emitWindow(0, total, true)];
    return [];
  }

  /** Forget the stream and start a new one with the same settings. */
  reset(): void {
    this.sampleCount = 0;
    this.bufferStartSample = 0;
    this.storedFrames = 0;
    this.storeStartFrame = 0;
    this.framesComputed = 0;
    this.nextWindowStart = 0;
    this.coveredUntilFrame = 0;
    this.windowsEmitted = 0;
    this.flushed = false;
    this.prefix?.reset();
    this.vad.reset();
  }

  private appendSamples(pcm: Int16Array | Float32Array, from: number, to: number): void {
    const needed = this.sampleCount + (to - from);
    if (needed > this.samples.length) {
      const grown = new Float64Array(Math.max(needed, 2 * this.samples.length));
      grown.set(this.samples.subarray(0, this.sampleCount));
      this.samples = grown;
    }
    pcmIntoFloat64(pcm, from, to, this.samples, this.sampleCount);
    this.sampleCount = needed;
  }

  private analyzeAvailableFrames(windows: FeatureWindow[]): void {
    const { nFft, hopLength } = this.plan;
    const { framesPerWindow, framesPerWindowHop } = this.sizes;
    while (this.framesComputed * hopLength + nFft <= this.bufferStartSample + this.sampleCount) {
      this.analyzeNextFrame();
      if (this.framesComputed === this.nextWindowStart + framesPerWindow) {
        windows.push(this.emitWindow(this.nextWindowStart, framesPerWindow, false));
        this.nextWindowStart += framesPerWindowHop;
      }
    }
  }

  private dropConsumedSamples(): void {
    const keepFrom = this.framesComputed * this.plan.hopLength; // first sample of the next frame
    const drop = Math.min(keepFrom - this.bufferStartSample, this.sampleCount);
    if (drop <= 0) return;
    this.samples.copyWithin(0, drop, this.sampleCount);
    this.sampleCount -= drop;
    this.bufferStartSample += drop;
  }

  private analyzeNextFrame(): void {
    if (this.storedFrames === this.storeCapacity) this.compactStore();
    const frameRow = this.storedFrames;
    const rec = frameRow * this.recordWidth;
    const frameStart = this.framesComputed * this.plan.hopLength - this.bufferStartSample;
    const store = this.store;
    this.analyzer.analyze(this.samples, frameStart, store, rec);
    const layout = this.analyzer.layout;
    const energyDb = store[rec + layout.energyDb!.offset];
    const speech = this.vad.isSpeechRecord(store, rec, layout);
    store[rec + this.speechSlot] = speech ? 1 : 0;
    store[rec + this.energySlot] = 10 ** (energyDb / 10);
    this.storedFrames++;
    this.framesComputed++;
    if (this.rowsPerFrame) this.buildFeatureRow(frameRow);
  }

  /** The frame's feature row without its deltas, and the centred deltas of the frame `half` rows back. */
  private buildFeatureRow(frameRow: number): void {
    const nFeatures = this.sizes.nFeatures;
    const rows = this.rows;
    const rec = frameRow * this.recordWidth;
    const row = frameRow * nFeatures;
    for (const block of this.frameBlocks) {
      const from = rec + block.recordOffset;
      const to = row + block.column;
      for (let k = 0; k < block.width; k++) rows[to + k] = this.store[from + k];
    }
    this.prefix?.addRow(frameRow, rows, row, 0, this.spectralWidth);
    this.prefix?.addRow(frameRow, rows, row, this.deltaEnd, nFeatures);
    if (this.deltaCoefs.length === 0) return;

    // centred deltas of the frame `half` back, now that all its neighbours exist
    const half = this.deltaHalf;
    const centreRow = frameRow - half;
    if (centreRow < 0) return;
    const target = centreRow * nFeatures + this.spectralWidth;
    if (this.storeStartFrame + centreRow < half) {
      // stream start: no centred delta; a window only ever uses the deltas of row `half` here, so 0 keeps
      // the prefix sums defined without affecting anything
      rows.fill(0, target, target + this.deltaEnd - this.spectralWidth);
    } else {
      if (centreRow < half) throw new Error('StreamingFeatureExtractor: delta neighbours are no longer stored (internal error)');
      this.deltaCoefs.forEach((coefs, order) => {
        centredDeltaRow(rows, (centreRow - half) * nFeatures, nFeatures, this.spectralWidth, coefs, rows, target + order * this.spectralWidth);
      });
    }
    this.prefix?.addRow(centreRow, rows, centreRow * nFeatures, this.spectralWidth, this.deltaEnd);
  }

  /** Keep only frames a future window (or the end-aligned final window) can still use. */
  private compactStore(): void {
    const keepFromFrame = Math.min(this.nextWindowStart, this.framesComputed - this.sizes.framesPerWindow);
    const drop = Math.max(0, keepFromFrame - this.storeStartFrame);
    if (drop === 0) throw new Error('StreamingFeatureExtractor: frame store overflow (internal error)');
    const kept = this.storedFrames - drop;
    this.store.copyWithin(0, drop * this.recordWidth, this.storedFrames * this.recordWidth);
    const nFeatures = this.sizes.nFeatures;
    this.rows.copyWithin(0, drop * nFeatures, this.storedFrames * nFeatures);
    this.prefix?.dropRows(drop, kept);
    this.storedFrames = kept;
    this.storeStartFrame += drop;
  }

  private emitWindow(startFrame: number, validFrames: number, final: boolean): FeatureWindow {
    const { framesPerWindow, nFeatures, minSpeechFrames } = this.sizes;
    const firstRow = startFrame - this.storeStartFrame;
    if (firstRow < 0 || firstRow + validFrames > this.storedFrames) {
      throw new Error(`StreamingFeatureExtractor: frames ${startFrame}..${startFrame + validFrames} are no longer stored (internal error)`);
    }
    // padding rows (>= validFrames) stay 0
    const features = new Float32Array(framesPerWindow * nFeatures);
    if (this.rowsPerFrame) this.normalizeFrameRows(firstRow, validFrames, features);
    else this.computeWindowFromFrames(firstRow, validFrames, features);

    const rw = this.recordWidth;
    let meanSquareSum = 0;
    let speechFrames = 0;
    for (let r = firstRow; r < firstRow + validFrames; r++) {
      meanSquareSum += this.store[r * rw + this.energySlot];
      speechFrames += this.store[r * rw + this.speechSlot];
    }
    const { hopLength, nFft } = this.plan;
    const sr = this.settings.sampleRate;
    this.coveredUntilFrame = Math.max(this.coveredUntilFrame, startFrame + validFrames);
    return {
      index: this.windowsEmitted++,
      features,
      framesPerWindow,
      nFeatures,
      validFrames,
      startFrame,
      startSec: (startFrame * hopLength) / sr,
      endSec: ((startFrame + validFrames - 1) * hopLength + nFft) / sr,
      rmsDb: 10 * Math.log10(meanSquareSum / validFrames),
      speech: isSpeechWindow(speechFrames, minSpeechFrames),
      speechFrames,
      final,
    };
  }

  /**
   * Window of the per-frame feature rows [firstRow, firstRow + n), normalised into `out`. Rows within
   * `half` of either end take their deltas from the nearest centred row (librosa 'interp' edges), and
   * the CMVN statistics count them so.
   */
  private normalizeFrameRows(firstRow: number, n: number, out: Float32Array): void {
    const nFeatures = this.sizes.nFeatures;
    const { spectralWidth, deltaEnd } = this;
    const half = this.deltaHalf;
    const rows = this.rows;
    const mean = this.scratchMean;
    const scale = this.scratchScale;
    const normalization = this.settings.normalization;
    const headDeltas = (firstRow + half) * nFeatures;
    const tailDeltas = (firstRow + n - 1 - half) * nFeatures;
    if (normalization.kind === 'perWindowCmvn') {
      const prefix = this.prefix!;
      mean.fill(0);
      scale.fill(0);
      prefix.accumulate(firstRow, firstRow + n, 0, spectralWidth, mean, scale);
      prefix.accumulate(firstRow, firstRow + n, deltaEnd, nFeatures, mean, scale);
      if (deltaEnd > spectralWidth) {
        prefix.accumulate(firstRow + half, firstRow + n - half, spectralWidth, deltaEnd, mean, scale);
        for (let c = spectralWidth; c < deltaEnd; c++) {
          const head = rows[headDeltas + c];
          const tail = rows[tailDeltas + c];
          mean[c] += half * (head + tail);
          scale[c] += half * (head * head + tail * tail);
        }
      }
      cmvnFromSums(normalization, n, nFeatures, mean, scale);
    } else if (normalization.kind === 'global') {
      globalAffine(normalization, nFeatures, mean, scale);
    } else {
      mean.fill(0);
      scale.fill(1);
    }

    for (let r = 0; r < n; r++) {
      const from = (firstRow + r) * nFeatures;
      const to = r * nFeatures;
      if (r >= half && r < n - half) {
        for (let c = 0; c < nFeatures; c++) out[to + c] = (rows[from + c] - mean[c]) * scale[c];
        continue;
      }
      const deltas = r < half ? headDeltas : tailDeltas;
      for (let c = 0; c < spectralWidth; c++) out[to + c] = (rows[from + c] - mean[c]) * scale[c];
      for (let c = spectralWidth; c < deltaEnd; c++) out[to + c] = (rows[deltas + c] - mean[c]) * scale[c];
      for (let c = deltaEnd; c < nFeatures; c++) out[to + c] = (rows[from + c] - mean[c]) * scale[c];
    }
  }

  /** top_db: the window's features from its frames' log-mel, clipped at the window maximum - topDb. */
  private computeWindowFromFrames(firstRow: number, validFrames: number, out: Float32Array): void {
    const s = this.settings;
    const nFeatures = this.sizes.nFeatures;
    const layout = this.analyzer.layout;
    const rw = this.recordWidth;
    const m = this.matrix;
    const store = this.store;
    const nMels = s.nMels;
    const logMelOffset = layout.logMel!.offset;

    let max = -Infinity;
    for (let r = 0; r < validFrames; r++) {
      const base = (firstRow + r) * rw + logMelOffset;
      for (let k = 0; k < nMels; k++) if (store[base + k] > max) max = store[base + k];
    }
    const topFloor = max - s.topDb!;

    const c = this.clipped;
    for (let r = 0; r < validFrames; r++) {
      const rec = (firstRow + r) * rw;
      const row = r * nFeatures;
      for (let k = 0; k < nMels; k++) {
        const v = store[rec + logMelOffset + k];
        c[k] = v > topFloor ? v : topFloor;
      }
      let col = row;
      if (s.features.logMel) {
        for (let k = 0; k < nMels; k++) m[col + k] = c[k];
        col += nMels;
      }
      if (s.features.mfcc) foldedDctInto(this.plan.dct, c, 0, m, col);
      for (const block of this.frameBlocks) {
        if (block.column < this.deltaEnd) continue; // spectral: done above
        for (let k = 0; k < block.width; k++) m[row + block.column + k] = store[rec + block.recordOffset + k];
      }
    }
    this.deltaCoefs.forEach((coefs, i) => {
      deltasInto(m, 0, nFeatures, validFrames, this.spectralWidth, coefs, m, (i + 1) * this.spectralWidth, nFeatures);
    });
    normalizeInto(m, validFrames, nFeatures, s.normalization, out, this.scratchMean, this.scratchScale);
  }
}

/** Where a block of per-frame values sits in a frame record and in a feature row. */
interface Block {
  recordOffset: number;
  column: number;
  width: number;
}

/** Samples converted and analysed per step of a push (about 1 s at 16 kHz). */
const PUSH_SLICE_SAMPLES = 16384;

function checkPcm(pcm: unknown): asserts pcm is Int16Array | Float32Array {
  if (pcm instanceof Int16Array) return;
  if (pcm instanceof Float32Array) {
    assertFiniteSamples(pcm);
    return;
  }
  const what = pcm === null ? 'null' : typeof pcm === 'object' ? (pcm as object).constructor?.name ?? 'object' : typeof pcm;
  throw new Error(`StreamingFeatureExtractor.push expects an Int16Array or Float32Array of mono PCM, got ${what}`);
}

/**
 * Batch extraction of a whole recording (training features): the very same streaming code path,
 * one push of all samples followed by flush().
 */
export function extractFile(
  pcm: Int16Array | Float32Array,
  settings: AudioFeatureSettings | AudioFeatureSettingsInput = {},
): FeatureWindow[] {
  const extractor = new StreamingFeatureExtractor(settings);
  return [...extractor.push(pcm), ...extractor.flush()];
}
