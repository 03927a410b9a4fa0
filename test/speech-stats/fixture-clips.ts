import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { requireDataPath } from '../../src/core/paths.js';
import { parseRavdessName, type SpeechClip } from '../../src/training/speech/datasets.js';

/** The statistics fixture's clips: the first 10 files (sorted) of RAVDESS actors 1-4 (2 male, 2 female). */
export const FIXTURE_ACTORS = [1, 2, 3, 4];
export const FIXTURE_CLIPS_PER_ACTOR = 10;

export function ravdessRoot(): string {
  return requireDataPath('ravdess', 'RAVDESS speech data');
}

export function fixtureClips(root = ravdessRoot()): SpeechClip[] {
  return FIXTURE_ACTORS.flatMap((a) => {
    const dir = join(root, `Actor_${String(a).padStart(2, '0')}`);
    return readdirSync(dir)
      .filter((f) => f.endsWith('.wav'))
      .sort()
      .slice(0, FIXTURE_CLIPS_PER_ACTOR)
      .map((f) => parseRavdessName(join(dir, f))!);
  });
}
