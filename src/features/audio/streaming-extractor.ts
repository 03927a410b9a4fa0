import { centredDeltaRow, deltaCoefficients, deltasInto } from './dsp/deltas.js';
import { dctInto, type FrameExtractorName } from './extractors.js';
import { WINDOW_FEATURES, windowFeatureNames } from './feature-layout.js';
import { FrameAnalyzer } from './frame-analyzer.js';
import { framePlan, type FramePlan } from './frame-plan.js';
import { normalizeInto } from './normalization.js';
import { int16ToFloat64, float32ToFloat64 } from './pcm.js';
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
 * window's real frames, i.e. exactly librosa applied to the window's frames.
 * Batch extraction (`extractFile`) runs the same class, so streaming and batch are identical.
 */
export class StreamingFeatureExtractor {
  readonly settings: AudioFeatureSettings;
  readonly sizes: DerivedSizes;
  readonly plan: FramePlan;
  private readonly analyzer: FrameAnalyzer;
  private readonly vad: VoiceActivityDetector;
  private readonly recordWidth: number;
  private readonly speechSlot: number;
  private readonly spectralWidth: number;
  private readonly deltaCoefs: Float64Array[];
  private readonly deltaHalf: number;
  /** Spectral blocks in feature-row order: where they sit in a frame record and in a feature row. */
  private readonly spectralBlocks: { recordOffset: number; column: number; width: number }[];
  /**
   * With no top_db the spectral features of a frame do not depend on the window, so the centred deltas
   * are computed once per frame and cached in its record at deltaSlot ([delta | delta2] x spectral block);
   * with top_db they are computed per window.
   */
  private readonly cacheDeltas: boolean;
  private readonly deltaSlot: number;

  // pending samples: samples[0 .. sampleCount) are stream samples starting at bufferStartSample
  private samples: Float64Array;
  private sampleCount = 0;
  private bufferStartSample = 0;

  // frame records: rows [0 .. storedFrames) are stream frames starting at storeStartFrame
  private store: Float64Array;
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
    // Every frame needs the log-mel (VAD, and MFCCs after per-window clipping) and the VAD's inputs; the
    // model's features come from the registry. With topDb set, MFCCs are taken per window after clipping.
    const features = windowFeatureNames(s.features);
    const names: FrameExtractorName[] = ['logMel', 'energyDb', 'melFlatness', ...features.filter((n) => !(n === 'mfcc' && s.topDb !== null))];
    this.analyzer = new FrameAnalyzer(this.plan, names);
    this.spectralWidth = features.filter((n) => WINDOW_FEATURES[n].spectral).reduce((a, n) => a + WINDOW_FEATURES[n].columns(s).length, 0);
    this.cacheDeltas = s.topDb === null && s.deltaOrder > 0;
    this.speechSlot = this.analyzer.recordWidth;
    this.deltaSlot = this.speechSlot + 1;
    this.recordWidth = this.deltaSlot + (this.cacheDeltas ? s.deltaOrder * this.spectralWidth : 0);
    this.vad = new VoiceActivityDetector(s.vad, s.hopLength / s.sampleRate);
    this.deltaCoefs = [];
    if (s.deltaOrder >= 1) this.deltaCoefs.push(deltaCoefficients(s.deltaWidth, 1));
    if (s.deltaOrder >= 2) this.deltaCoefs.push(deltaCoefficients(s.deltaWidth, 2));
    this.deltaHalf = (s.deltaWidth - 1) / 2;
    const layout = this.analyzer.layout;
    this.spectralBlocks = [];
    if (s.features.logMel) this.spectralBlocks.push({ recordOffset: layout.logMel!.offset, column: 0, width: s.nMels });
    if (s.features.mfcc && layout.mfcc) {
      this.spectralBlocks.push({ recordOffset: layout.mfcc.offset, column: s.features.logMel ? s.nMels : 0, width: s.nMfcc });
    }

    this.samples = new Float64Array(Math.max(4 * s.nFft, 8192));
    this.storeCapacity = 2 * this.sizes.framesPerWindow + 1;
    this.store = new Float64Array(this.storeCapacity * this.recordWidth);
    const { framesPerWindow, nFeatures } = this.sizes;
    this.matrix = new Float64Array(framesPerWindow * nFeatures);
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
    const incoming = toFloat64Samples(pcm);
    if (incoming.length === 0) return [];
    this.appendSamples(incoming);
    const windows: FeatureWindow[] = [];
    const { nFft, hopLength } = this.plan;
    const { framesPerWindow, framesPerWindowHop } = this.sizes;
    while (this.framesComputed * hopLength + nFft <= this.bufferStartSample + this.sampleCount) {
      this.analyzeNextFrame();
      if (this.framesComputed === this.nextWindowStart + framesPerWindow) {
        windows.push(this.emitWindow(this.nextWindowStart, framesPerWindow, false));
        this.nextWindowStart += framesPerWindowHop;
      }
    }
    this.dropConsumedSamples();
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
    this.vad.reset();
  }

  private appendSamples(incoming: Float64Array): void {
    const needed = this.sampleCount + incoming.length;
    if (needed > this.samples.length) {
      const grown = new Float64Array(Math.max(needed, 2 * this.samples.length));
      grown.set(this.samples.subarray(0, this.sampleCount));
      this.samples = grown;
    }
    this.samples.set(incoming, this.sampleCount);
    this.sampleCount = needed;
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
    const row = this.storedFrames * this.recordWidth;
    const frameStart = this.framesComputed * this.plan.hopLength - this.bufferStartSample;
    this.analyzer.analyze(this.samples, frameStart, this.store, row);
    const layout = this.analyzer.layout;
    const speech = this.vad.isSpeechFrame(
      this.store[row + layout.energyDb!.offset],
      this.store[row + layout.melFlatness!.offset],
    );
    this.store[row + this.speechSlot] = speech ? 1 : 0;
    this.storedFrames++;
    this.framesComputed++;
    if (this.cacheDeltas) this.cacheCentredDeltas();
  }

  /** Centred deltas of the frame `half` frames back, now that all its neighbours exist. */
  private cacheCentredDeltas(): void {
    const half = this.deltaHalf;
    const centreRow = this.storedFrames - 1 - half;
    if (centreRow - half < 0) return; // stream start (or just compacted past it): never used by a window
    const rw = this.recordWidth;
    const firstRow = (centreRow - half) * rw;
    const target = centreRow * rw + this.deltaSlot;
    this.deltaCoefs.forEach((coefs, order) => {
      for (const block of this.spectralBlocks) {
        centredDeltaRow(this.store, firstRow + block.recordOffset, rw, block.width, coefs, this.store, target + order * this.spectralWidth + block.column);
      }
    });
  }

  /** Keep only frames a future window (or the end-aligned final window) can still use. */
  private compactStore(): void {
    const keepFromFrame = Math.min(this.nextWindowStart, this.framesComputed - this.sizes.framesPerWindow);
    const drop = Math.max(0, keepFromFrame - this.storeStartFrame);
    if (drop === 0) throw new Error('StreamingFeatureExtractor: frame store overflow (internal error)');
    this.store.copyWithin(0, drop * this.recordWidth, this.storedFrames * this.recordWidth);
    this.storedFrames -= drop;
    this.storeStartFrame += drop;
  }

  private emitWindow(startFrame: number, validFrames: number, final: boolean): FeatureWindow {
    const s = this.settings;
    const { framesPerWindow, nFeatures, minSpeechFrames } = this.sizes;
    const layout = this.analyzer.layout;
    const rw = this.recordWidth;
    const firstRow = startFrame - this.storeStartFrame;
    if (firstRow < 0 || firstRow + validFrames > this.storedFrames) {
      throw new Error(`StreamingFeatureExtractor: frames ${startFrame}..${startFrame + validFrames} are no longer stored (internal error)`);
    }
    const m = this.matrix;
    const store = this.store;
    const nMels = s.nMels;
    const logMelOffset = layout.logMel!.offset;
    const spectralWidth = this.spectralWidth;
    const half = this.deltaHalf;
    const deltaWidthTotal = s.deltaOrder * spectralWidth;

    let topFloor = -Infinity;
    if (s.topDb !== null) {
      let max = -Infinity;
      for (let r = 0; r < validFrames; r++) {
        const base = (firstRow + r) * rw + logMelOffset;
        for (let k = 0; k < nMels; k++) if (store[base + k] > max) max = store[base + k];
      }
      topFloor = max - s.topDb;
    }

    const scalarColumn = spectralWidth + deltaWidthTotal;
    let meanSquareSum = 0;
    let speechFrames = 0;
    for (let r = 0; r < validFrames; r++) {
      const rec = (firstRow + r) * rw;
      const row = r * nFeatures;
      // static spectral block [logMel | mfcc]
      if (s.topDb === null) {
        for (const block of this.spectralBlocks) {
          const from = rec + block.recordOffset;
          const to = row + block.column;
          for (let k = 0; k < block.width; k++) m[to + k] = store[from + k];
        }
      } else {
        const c = this.clipped;
        for (let k = 0; k < nMels; k++) {
          const v = store[rec + logMelOffset + k];
          c[k] = v > topFloor ? v : topFloor;
        }
        let col = row;
        if (s.features.logMel) {
          for (let k = 0; k < nMels; k++) m[col + k] = c[k];
          col += nMels;
        }
        if (s.features.mfcc) dctInto(this.plan.dct, s.nMfcc, nMels, c, 0, m, col);
      }
      // cached deltas ('interp' edges: the first/last `half` rows repeat the nearest centred row)
      if (this.cacheDeltas) {
        const source = (firstRow + (r < half ? half : r > validFrames - 1 - half ? validFrames - 1 - half : r)) * rw + this.deltaSlot;
        const to = row + spectralWidth;
        for (let k = 0; k < deltaWidthTotal; k++) m[to + k] = store[source + k];
      }
      let c = row + scalarColumn;
      if (s.features.rms) m[c++] = store[rec + layout.rms!.offset];
      if (s.features.zcr) m[c++] = store[rec + layout.zcr!.offset];
      for (const block of [layout.spectralContrast, layout.chroma]) {
        if (!block) continue;
        for (let k = 0; k < block.width; k++) m[c++] = store[rec + block.offset + k];
      }
      meanSquareSum += 10 ** (store[rec + layout.energyDb!.offset] / 10);
      speechFrames += store[rec + this.speechSlot];
    }

    // per-window deltas when the spectral block depends on the window (top_db)
    if (!this.cacheDeltas) {
      this.deltaCoefs.forEach((coefs, i) => {
        deltasInto(m, 0, nFeatures, validFrames, spectralWidth, coefs, m, (i + 1) * spectralWidth, nFeatures);
      });
    }

    // normalisation into the output (padding rows stay 0)
    const features = new Float32Array(framesPerWindow * nFeatures);
    normalizeInto(m, validFrames, nFeatures, s.normalization, features, this.scratchMean, this.scratchScale);

    const { hopLength, nFft } = this.plan;
    const sr = s.sampleRate;
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
}

function toFloat64Samples(pcm: unknown): Float64Array {
  if (pcm instanceof Int16Array) return int16ToFloat64(pcm);
  if (pcm instanceof Float32Array) return float32ToFloat64(pcm);
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
