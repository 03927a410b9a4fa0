import type { VoiceActivitySettings } from './settings.js';

/**
 * Energy-based voice activity with an adaptive noise floor, per stream.
 *
 * A frame is a speech frame when all hold:
 *  - its energy (dBFS) exceeds the noise floor estimate by `marginDb`,
 *  - its energy exceeds `absoluteThresholdDb` (digital or near-digital silence is never speech),
 *  - its mel-spectral flatness is below `maxSpectralFlatness` (white-ish noise is flat, speech is not).
 * The noise floor follows the energy down at once and rises at most `noiseFloorRiseDbPerSecond`
 * (so it tracks the quiet parts between words, and slowly adapts to a louder background).
 * A window is speech when at least `minSpeechSeconds` of its frames are speech frames.
 *
 * The state depends only on the frame sequence, so chunking never changes the decisions.
 */
export class VoiceActivityDetector {
  private noiseFloorDb: number | null = null;
  private readonly risePerFrameDb: number;

  constructor(
    private readonly settings: VoiceActivitySettings,
    hopSeconds: number,
  ) {
    if (!(hopSeconds > 0)) throw new Error(`VoiceActivityDetector: hopSeconds must be > 0, got ${hopSeconds}`);
    this.risePerFrameDb = settings.noiseFloorRiseDbPerSecond * hopSeconds;
  }

  /** Current noise floor estimate in dBFS (null before the first frame). */
  get noiseFloor(): number | null {
    return this.noiseFloorDb;
  }

  /** Update with one frame and say whether it is a speech frame. */
  isSpeechFrame(energyDb: number, melFlatness: number): boolean {
    if (!Number.isFinite(energyDb) || !Number.isFinite(melFlatness)) {
      throw new Error(`VoiceActivityDetector: non-finite frame measures (energyDb=${energyDb}, flatness=${melFlatness})`);
    }
    const floor = this.noiseFloorDb;
    this.noiseFloorDb = floor === null || energyDb < floor ? energyDb : Math.min(energyDb, floor + this.risePerFrameDb);
    const s = this.settings;
    return (
      energyDb > this.noiseFloorDb + s.marginDb &&
      energyDb > s.absoluteThresholdDb &&
      melFlatness < s.maxSpectralFlatness
    );
  }

  reset(): void {
    this.noiseFloorDb = null;
  }
}

/** Window decision from its count of speech frames. */
export function isSpeechWindow(speechFrames: number, minSpeechFrames: number): boolean {
  return speechFrames >= minSpeechFrames;
}
