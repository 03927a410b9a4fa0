import type { FrameExtractorName } from './extractors.js';
import type { FrameRecordLayout } from './frame-analyzer.js';
import type { VoiceActivitySettings } from './settings.js';

/** The per-frame extractors voice activity reads (the streaming extractor always computes them). */
export const VOICE_ACTIVITY_INPUTS: readonly FrameExtractorName[] = ['energyDb', 'melFlatness', 'voiceMeasures'];

/** The `voiceMeasures` frame extractor's values (see extractors.ts). */
export interface VoiceMeasures {
  /** Energy in the 150..4000 Hz speech band, dBFS. */
  bandEnergyDb: number;
  /** Normalised autocorrelation peak for pitches of 70..400 Hz, 0..1. */
  periodicity: number;
  /** Pitch of that peak in Hz, 0 when none. */
  pitchHz: number;
}

/**
 * Voice activity with an adaptive noise floor, per stream. Two kinds (settings `kind`):
 *
 * 'energy' (the original detector): a frame is a speech frame when its energy (dBFS) exceeds the noise
 * floor by `marginDb` and `absoluteThresholdDb`, and its mel-spectral flatness is below
 * `maxSpectralFlatness`.
 *
 * 'voiced' (default): speech is voiced. A frame is *voiced* when
 *  - its energy exceeds `absoluteThresholdDb` and its mel flatness is below `maxSpectralFlatness`,
 *  - its speech-band (150..4000 Hz) energy exceeds the speech-band noise floor by `voicedMarginDb`
 *    (band energy ignores rumble, DC drift and mains hum, which made broadband energy jump),
 *  - its periodicity (pitch 70..400 Hz) and that of the frames of the last `voicingSeconds` are all at
 *    least `minPeriodicity` (voicing lasts tens of ms; noise and clicks are at most briefly periodic).
 * A speech frame is a voiced frame, or a frame within `hangoverSeconds` after one whose band energy
 * exceeds the floor by `marginDb` (the unvoiced consonants around voiced sounds), unless the recent pitch
 * is *steady*: when, over the last `pitchHistorySeconds`, more than `maxSteadyPitchFraction` of the
 * consecutive periodic frame pairs (at least 10 pairs; periodic = sustained periodicity above
 * `absoluteThresholdDb`, whatever the noise floor) change pitch by less than `steadyPitchPerSecond`
 * (natural log units per second), nothing is speech: held musical notes and tones keep their pitch,
 * intonation glides.
 *
 * Both kinds: the noise floor follows the energy down at once and rises at most
 * `noiseFloorRiseDbPerSecond` (for 'voiced' it tracks the speech-band energy); a window is speech when
 * at least `minSpeechSeconds` of its frames are speech frames. The state depends only on the frame sequence, so chunking never changes the decisions.
 */
export class VoiceActivityDetector {
  private noiseFloorDb: number | null = null;
  private readonly risePerFrameDb: number;
  private readonly voicingFrames: number;
  private readonly hangoverFrames: number;
  private readonly steadyPerFrame: number;
  // 'voiced' state
  private readonly recentPeriodicity: Float64Array;
  private periodicityCount = 0;
  private framesSinceVoiced = Infinity;
  private previousPitch = 0;
  /** Ring of the last pitchHistory frames: 0 = no periodic pair, 1 = gliding pair, 2 = steady pair. */
  private readonly pairHistory: Uint8Array;
  private pairAt = 0;
  private pairs = 0;
  private steadyPairs = 0;

  constructor(
    private readonly settings: VoiceActivitySettings,
    hopSeconds: number,
  ) {
    if (!(hopSeconds > 0)) throw new Error(`VoiceActivityDetector: hopSeconds must be > 0, got ${hopSeconds}`);
    this.risePerFrameDb = settings.noiseFloorRiseDbPerSecond * hopSeconds;
    this.voicingFrames = Math.max(1, Math.round(settings.voicingSeconds / hopSeconds));
    this.hangoverFrames = Math.round(settings.hangoverSeconds / hopSeconds);
    this.steadyPerFrame = settings.steadyPitchPerSecond * hopSeconds;
    this.recentPeriodicity = new Float64Array(this.voicingFrames);
    this.pairHistory = new Uint8Array(Math.max(1, Math.round(settings.pitchHistorySeconds / hopSeconds)));
  }

  /** Current noise floor estimate in dBFS (null before the first frame); speech-band energy for 'voiced'. */
  get noiseFloor(): number | null {
    return this.noiseFloorDb;
  }

  /** Update with one frame record of a FrameAnalyzer that computes VOICE_ACTIVITY_INPUTS. */
  isSpeechRecord(record: Float64Array, recordOffset: number, layout: FrameRecordLayout): boolean {
    const voice = layout.voiceMeasures;
    return this.isSpeechFrame(
      record[recordOffset + layout.energyDb!.offset],
      record[recordOffset + layout.melFlatness!.offset],
      voice && {
        bandEnergyDb: record[recordOffset + voice.offset],
        periodicity: record[recordOffset + voice.offset + 1],
        pitchHz: record[recordOffset + voice.offset + 2],
      },
    );
  }

  /** Update with one frame and say whether it is a speech frame ('voiced' needs `voice`). */
  isSpeechFrame(energyDb: number, melFlatness: number, voice?: VoiceMeasures): boolean {
    if (!Number.isFinite(energyDb) || !Number.isFinite(melFlatness)) {
      throw new Error(`VoiceActivityDetector: non-finite frame measures (energyDb=${energyDb}, flatness=${melFlatness})`);
    }
    const s = this.settings;
    if (s.kind === 'energy') {
      const floor = this.trackFloor(energyDb);
      return energyDb > floor + s.marginDb && energyDb > s.absoluteThresholdDb && melFlatness < s.maxSpectralFlatness;
    }
    if (!voice) throw new Error("VoiceActivityDetector: kind 'voiced' needs the voiceMeasures of each frame");
    const { bandEnergyDb, periodicity, pitchHz } = voice;
    if (!Number.isFinite(bandEnergyDb) || !Number.isFinite(periodicity) || !Number.isFinite(pitchHz)) {
      throw new Error(`VoiceActivityDetector: non-finite voice measures (${bandEnergyDb}, ${periodicity}, ${pitchHz})`);
    }
    const floor = this.trackFloor(bandEnergyDb);

    this.recentPeriodicity[this.periodicityCount % this.voicingFrames] = periodicity;
    this.periodicityCount++;
    let sustained = this.periodicityCount >= this.voicingFrames;
    for (let k = 0; sustained && k < this.voicingFrames; k++) sustained = this.recentPeriodicity[k] >= s.minPeriodicity;

    const loudEnough = energyDb > s.absoluteThresholdDb && melFlatness < s.maxSpectralFlatness;
    const voiced = loudEnough && sustained && pitchHz > 0 && bandEnergyDb > floor + s.voicedMarginDb;

    // pitch steadiness of the consecutive periodic frame pairs (however quiet: a tone is no more speech
    // for being soft)
    const periodic = sustained && pitchHz > 0 && energyDb > s.absoluteThresholdDb;
    let pair = 0;
    if (periodic && this.previousPitch > 0) pair = Math.abs(Math.log(pitchHz / this.previousPitch)) < this.steadyPerFrame ? 2 : 1;
    this.previousPitch = periodic ? pitchHz : 0;
    const old = this.pairHistory[this.pairAt];
    if (old > 0) this.pairs--;
    if (old === 2) this.steadyPairs--;
    this.pairHistory[this.pairAt] = pair;
    this.pairAt = (this.pairAt + 1) % this.pairHistory.length;
    if (pair > 0) this.pairs++;
    if (pair === 2) this.steadyPairs++;
    const steady = this.pairs >= MIN_PITCH_PAIRS && this.steadyPairs > s.maxSteadyPitchFraction * this.pairs;

    this.framesSinceVoiced = voiced ? 0 : this.framesSinceVoiced + 1;
    if (steady) return false;
    if (voiced) return true;
    return this.framesSinceVoiced <= this.hangoverFrames && loudEnough && bandEnergyDb > floor + s.marginDb;
  }

  reset(): void {
    this.noiseFloorDb = null;
    this.periodicityCount = 0;
    this.framesSinceVoiced = Infinity;
    this.previousPitch = 0;
    this.pairHistory.fill(0);
    this.pairAt = 0;
    this.pairs = 0;
    this.steadyPairs = 0;
  }

  private trackFloor(levelDb: number): number {
    const floor = this.noiseFloorDb;
    this.noiseFloorDb = floor === null || levelDb < floor ? levelDb : Math.min(levelDb, floor + this.risePerFrameDb);
    return this.noiseFloorDb;
  }
}

/** Fewest periodic frame pairs in the pitch history before its steadiness is judged. */
const MIN_PITCH_PAIRS = 10;

/** Window decision from its count of speech frames. */
export function isSpeechWindow(speechFrames: number, minSpeechFrames: number): boolean {
  return speechFrames >= minSpeechFrames;
}
