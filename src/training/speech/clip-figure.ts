import { timeFrequencyChart, timeSeriesChart, waveformChart } from '../../analysis/signal-charts.js';
import type { ReportSection } from '../../analysis/report.js';
import { FrameAnalyzer, framePlan, int16ToFloat64, parseAudioFeatureSettings, type AudioFeatureSettingsInput } from '../../features/audio/index.js';
import { melToHz, hzToMel } from '../../features/audio/dsp/mel-filterbank.js';
import { SPEECH_FEATURE_SETTINGS } from './settings.js';

/** Per-frame views of one clip, from the streaming extractor's frame analyser. */
export interface ClipFrames {
  sampleRate: number;
  frameSeconds: number;
  /** Start of each analysed frame (s). */
  times: number[];
  /** Power spectrogram in dB (nFft/2 + 1 bins per frame). */
  spectrumDb: Float64Array[];
  /** Log-mel in dB (nMels per frame), the shipped emotion model's input before normalisation. */
  logMelDb: Float64Array[];
  /** Spectral roll-off (Hz) per frame. */
  rolloffHz: number[];
  /** FFT bin spacing (Hz). */
  binHz: number;
  /** Edges of the mel bands (Hz): nMels + 1 values. */
  melEdgesHz: number[];
}

/**
 * Analyses every frame of a clip with {@link FrameAnalyzer} (the code the streaming extractor runs
 * for serving), with the shipped speech models' frame settings by default.
 */
export function clipFrames(pcm: Int16Array, settingsInput: AudioFeatureSettingsInput = SPEECH_FEATURE_SETTINGS): ClipFrames {
  const settings = parseAudioFeatureSettings(settingsInput);
  const plan = framePlan(settings);
  const analyzer = new FrameAnalyzer(plan, ['spectrumDb', 'logMel', 'spectralRolloff']);
  const { spectrumDb, logMel, spectralRolloff } = analyzer.layout;
  const samples = int16ToFloat64(pcm);
  const record = new Float64Array(analyzer.recordWidth);
  const out: ClipFrames = {
    sampleRate: settings.sampleRate,
    frameSeconds: plan.hopLength / settings.sampleRate,
    times: [],
    spectrumDb: [],
    logMelDb: [],
    rolloffHz: [],
    binHz: settings.sampleRate / plan.nFft,
    melEdgesHz: [],
  };
  for (let start = 0; start + plan.nFft <= samples.length; start += plan.hopLength) {
    analyzer.analyze(samples, start, record, 0);
    out.times.push(start / settings.sampleRate);
    out.spectrumDb.push(record.slice(spectrumDb!.offset, spectrumDb!.offset + spectrumDb!.width));
    out.logMelDb.push(record.slice(logMel!.offset, logMel!.offset + logMel!.width));
    out.rolloffHz.push(record[spectralRolloff!.offset]);
  }
  if (out.times.length === 0) throw new Error(`clip too short for one ${plan.nFft}-sample frame (${pcm.length} samples)`);
  // Mel band edges: nMels + 2 mel-spaced points between fMin and fMax; band m spans points m .. m + 2,
  // drawn here between the midpoints of its neighbours' centres.
  const fMax = settings.fMax ?? settings.sampleRate / 2;
  const lo = hzToMel(settings.fMin, settings.melScale);
  const hi = hzToMel(fMax, settings.melScale);
  const points = Array.from({ length: settings.nMels + 2 }, (_, i) => melToHz(lo + ((hi - lo) * i) / (settings.nMels + 1), settings.melScale));
  out.melEdgesHz = [settings.fMin, ...Array.from({ length: settings.nMels - 1 }, (_, m) => (points[m + 1] + points[m + 2]) / 2), fMax];
  return out;
}

/** Report sections: the clip's waveform, spectrogram, mel spectrogram and spectral roll-off. */
export function clipFigureSections(pcm: Int16Array, name: string, settingsInput: AudioFeatureSettingsInput = SPEECH_FEATURE_SETTINGS): ReportSection[] {
  const f = clipFrames(pcm, settingsInput);
  const seconds = pcm.length / f.sampleRate;
  // Pairs of FFT bins averaged (in dB) to keep the heatmap at ~130 rows.
  const pairs = Math.floor(f.spectrumDb[0].length / 2);
  const pooled = f.spectrumDb.map((row) => Float64Array.from({ length: pairs }, (_, k) => (row[2 * k] + row[2 * k + 1]) / 2));
  const edges = Array.from({ length: pairs + 1 }, (_, k) => Math.max(0, (2 * k - 0.5) * f.binHz));
  const caption = `${name}, ${seconds.toFixed(2)} s at ${f.sampleRate} Hz; ${f.times.length} frames of ${(f.frameSeconds * 1000).toFixed(0)} ms hop, computed by the streaming extractor's frame analyser (src/features/audio) with the shipped speech models' settings.`;
  return [
    { kind: 'text', title: 'One clip through the feature code', text: caption },
    { kind: 'chart', title: 'Waveform', format: 'png', spec: waveformChart(int16ToFloat64(pcm), f.sampleRate, { title: `Waveform: ${name}` }) },
    {
      kind: 'chart',
      title: 'Spectrogram',
      caption: 'Power spectrum |X|² in dB (librosa.power_to_db without top_db); each row averages two FFT bins.',
      format: 'png',
      spec: timeFrequencyChart({ times: f.times, frameSeconds: f.frameSeconds, edges, values: pooled }, { title: `Spectrogram: ${name}`, valueTitle: 'dB' }),
    },
    {
      kind: 'chart',
      title: 'Mel spectrogram',
      caption: `${f.logMelDb[0].length} mel bands (Slaney), dB: the emotion model's input rows before per-window mean removal. The y axis is in Hz, so the bands widen upwards.`,
      format: 'png',
      spec: timeFrequencyChart({ times: f.times, frameSeconds: f.frameSeconds, edges: f.melEdgesHz, values: f.logMelDb }, { title: `Mel spectrogram: ${name}`, valueTitle: 'dB' }),
    },
    {
      kind: 'chart',
      title: 'Spectral roll-off',
      caption: 'Frequency under which 85 % of each frame\'s spectral magnitude lies (librosa.feature.spectral_rolloff).',
      format: 'png',
      spec: timeSeriesChart(f.times, f.rolloffHz, { title: `Spectral roll-off: ${name}`, yTitle: 'Roll-off (Hz)' }),
    },
  ];
}
