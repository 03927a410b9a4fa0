import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { repoRoot } from '../../core/paths.js';
import type { ModelManifest } from '../../models/manifest.js';
import { scanSpeechDataset, type SpeechClip } from './datasets.js';

/**
 * Honest speech evaluation: which speakers a published model was trained on, from its manifest.
 * A clip of a speaker the model heard in training scores far better than a new speaker's (the
 * shipped emotion model: ~0.9 on its own actors, 0.585 leave-speakers-out), so every eval reports
 * how many of the evaluated speakers were seen and can evaluate only the others.
 */
export type EvalSubset = 'all' | 'unseen';

export interface TrainingSpeakers {
  speakers: Set<string>;
  /** Where the list comes from. */
  basis: string;
}

/**
 * The speakers of the model's final training data: `training.speakerIds` (recorded since this
 * field exists); else the union of the cross-validation folds' test speakers (group k-fold over
 * every training speaker, so the union is all of them when it has `training.speakers` members);
 * else the speakers of the `training.data` folder when it is still there. Undefined when unknown.
 */
export function trainingSpeakers(manifest: ModelManifest): TrainingSpeakers | undefined {
  const t = manifest.training as { speakerIds?: unknown; speakers?: unknown; data?: unknown };
  if (Array.isArray(t.speakerIds) && t.speakerIds.every((s) => typeof s === 'string')) {
    return { speakers: new Set(t.speakerIds as string[]), basis: 'manifest training.speakerIds' };
  }
  const folds = (manifest.metrics as { folds?: unknown }).folds;
  if (Array.isArray(folds)) {
    const union = new Set<string>();
    for (const f of folds) {
      const ts = (f as { testSpeakers?: unknown }).testSpeakers;
      if (Array.isArray(ts)) for (const s of ts) if (typeof s === 'string') union.add(s);
    }
    if (union.size > 0 && (typeof t.speakers !== 'number' || union.size === t.speakers)) {
      return { speakers: union, basis: 'test speakers of the manifest cross-validation folds (the final model is trained on all of them)' };
    }
  }
  if (typeof t.data === 'string') {
    const dir = resolve(repoRoot, t.data);
    if (existsSync(dir)) {
      try {
        return { speakers: new Set(scanSpeechDataset(dir).clips.map((c) => c.speaker)), basis: `speakers of the training data folder ${dir}` };
      } catch {
        return undefined;
      }
    }
  }
  return undefined;
}

export interface SpeakerPartition<C extends Pick<SpeechClip, 'speaker'>> {
  /** The clips to evaluate (all, or only unseen speakers'). */
  clips: C[];
  subset: EvalSubset;
  /** Speakers in the data. */
  speakers: number;
  /** Speakers in the data that the model was trained on; null when the manifest does not say. */
  seenSpeakers: number | null;
  /** The model's own leave-speakers-out estimate, when its manifest has one. */
  unseenSpeakerEstimate: { accuracy: number; macroF1?: number; evaluation?: string } | null;
  warnings: string[];
}

/** Splits clips by whether their speaker was in the model's training data; throws when `unseen` leaves none. */
export function partitionBySpeaker<C extends Pick<SpeechClip, 'speaker'>>(
  clips: readonly C[],
  manifest: ModelManifest,
  subset: EvalSubset = 'all',
  data = 'the data',
): SpeakerPartition<C> {
  const model = `${manifest.name} v${manifest.version}`;
  const inData = new Set(clips.map((c) => c.speaker));
  const known = trainingSpeakers(manifest);
  const m = manifest.metrics as { accuracy?: { mean?: unknown }; macroF1?: { mean?: unknown }; evaluation?: unknown };
  const estimate =
    typeof m.accuracy?.mean === 'number'
      ? {
          accuracy: m.accuracy.mean,
          ...(typeof m.macroF1?.mean === 'number' ? { macroF1: m.macroF1.mean } : {}),
          ...(typeof m.evaluation === 'string' ? { evaluation: m.evaluation } : {}),
        }
      : null;
  const warnings: string[] = [];
  if (!known) {
    warnings.push(`model ${model} does not record the speakers it was trained on: seenSpeakers is unknown and --subset unseen cannot be applied`);
    if (subset === 'unseen') throw new Error(`--subset unseen: model ${model} does not record the speakers it was trained on; evaluate with --subset all`);
    return { clips: [...clips], subset, speakers: inData.size, seenSpeakers: null, unseenSpeakerEstimate: estimate, warnings };
  }
  const seen = [...inData].filter((s) => known.speakers.has(s));
  if (subset === 'unseen') {
    const kept = clips.filter((c) => !known.speakers.has(c.speaker));
    if (kept.length === 0) {
      throw new Error(
        `--subset unseen: all ${inData.size} speakers in ${data} were in the training data of model ${model}; give clips of other speakers` +
          (estimate ? ` (its leave-speakers-out estimate is accuracy ${estimate.accuracy.toFixed(3)})` : ''),
      );
    }
    return { clips: kept, subset, speakers: inData.size, seenSpeakers: seen.length, unseenSpeakerEstimate: estimate, warnings };
  }
  if (seen.length > 0) {
    const rest = inData.size - seen.length;
    warnings.push(
      `${seen.length} of the ${inData.size} speakers in ${data} were in the training data of model ${model}: these figures overstate accuracy on new speakers` +
        (estimate ? ` (its leave-speakers-out estimate is accuracy ${estimate.accuracy.toFixed(3)})` : '') +
        (rest > 0 ? `; --subset unseen evaluates only the other ${rest}` : '; evaluate on clips of other speakers for an honest figure'),
    );
  }
  return { clips: [...clips], subset, speakers: inData.size, seenSpeakers: seen.length, unseenSpeakerEstimate: estimate, warnings };
}
