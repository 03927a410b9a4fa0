import { frameExtractors, type FrameExtractor, type FrameExtractorName, type FrameInputs } from './extractors.js';
import type { FramePlan } from './frame-plan.js';

/** Where each extractor's values sit in a frame record. */
export type FrameRecordLayout = Partial<Record<FrameExtractorName, { offset: number; width: number }>>;

/**
 * Computes one frame at a time: window -> real FFT (dsp/real-fft.ts) -> |X|^power -> sparse mel -> dB,
 * then runs the selected extractors into a caller-provided Float64 record. All buffers are preallocated;
 * one analyzer per stream (it is not re-entrant).
 */
export class FrameAnalyzer {
  readonly layout: FrameRecordLayout;
  readonly recordWidth: number;
  private readonly names: FrameExtractorName[];
  private readonly extractors: FrameExtractor[];
  private readonly offsets: Int32Array;
  private readonly fftInput: Float64Array;
  private readonly fftRe: Float64Array;
  private readonly fftIm: Float64Array;
  private readonly inputs: FrameInputs;

  constructor(
    readonly plan: FramePlan,
    extractorNames: readonly FrameExtractorName[],
  ) {
    this.names = [...new Set(extractorNames)];
    const layout: FrameRecordLayout = {};
    let offset = 0;
    for (const name of this.names) {
      const width = frameExtractors[name].width(plan);
      layout[name] = { offset, width };
      offset += width;
    }
    this.layout = layout;
    this.extractors = this.names.map((n) => frameExtractors[n]);
    this.offsets = Int32Array.from(this.names.map((n) => layout[n]!.offset));
    this.recordWidth = offset;
    this.fftInput = new Float64Array(plan.nFft);
    this.fftRe = new Float64Array(plan.nBins);
    this.fftIm = new Float64Array(plan.nBins);
    this.inputs = {
      plan,
      samples: this.fftInput,
      signalStart: 0,
      meanSquare: 0,
      spectrum: new Float64Array(plan.nBins),
      melSpectrum: new Float64Array(plan.nMels),
      logMelDb: new Float64Array(plan.nMels),
    };
  }

  /**
   * Analyse the nFft-long frame samples[frameStart .. frameStart + nFft) (the analysis window covers
   * frameLength samples centred in it) and write the record to record[recordOffset ..].
   */
  analyze(samples: Float64Array, frameStart: number, record: Float64Array, recordOffset: number): void {
    const p = this.plan;
    if (frameStart < 0 || frameStart + p.nFft > samples.length) {
      throw new Error(`frame [${frameStart}, ${frameStart + p.nFft}) is outside the ${samples.length}-sample buffer`);
    }
    const { window, windowOffset, frameLength, nBins, amin, refDb } = p;
    const fftInput = this.fftInput;
    let sumSquares = 0;
    for (let k = windowOffset; k < windowOffset + frameLength; k++) {
      const x = samples[frameStart + k];
      sumSquares += x * x;
      fftInput[k] = window[k] * x;
    }
    p.fft.transform(fftInput, this.fftRe, this.fftIm);

    const re = this.fftRe;
    const im = this.fftIm;
    const spectrum = this.inputs.spectrum;
    if (p.power === 2) {
      for (let k = 0; k < nBins; k++) spectrum[k] = re[k] * re[k] + im[k] * im[k];
    } else {
      for (let k = 0; k < nBins; k++) spectrum[k] = Math.sqrt(re[k] * re[k] + im[k] * im[k]);
    }

    const { start, flat, offset } = p.mel;
    const mel = this.inputs.melSpectrum;
    const logMel = this.inputs.logMelDb;
    for (let m = 0; m < p.nMels; m++) {
      const end = offset[m + 1];
      let acc = 0;
      for (let j = offset[m], k = start[m]; j < end; j++, k++) acc += flat[j] * spectrum[k];
      mel[m] = acc;
      logMel[m] = 10 * Math.log10(acc > amin ? acc : amin) - refDb;
    }

    this.inputs.samples = samples;
    this.inputs.signalStart = frameStart + windowOffset;
    this.inputs.meanSquare = sumSquares / frameLength;
    const extractors = this.extractors;
    for (let e = 0; e < extractors.length; e++) extractors[e].extract(this.inputs, record, recordOffset + this.offsets[e]);
  }

  /** The mel spectrum of the last analysed frame (a view, overwritten by the next call). */
  get lastMelSpectrum(): Float64Array {
    return this.inputs.melSpectrum;
  }
}
