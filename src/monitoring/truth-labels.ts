/**
 * The true labels feedback may give a prediction (POST /api/feedback): the model's classes (the keys
 * of the prediction's scores), "unknown" (the input was none of them) and, for audio, "silence" (there
 * was no speech). Shared by the gateway and the dashboard (no Node imports here).
 */
export const NONE_OF_THE_CLASSES = 'unknown';
export const NO_SPEECH = 'silence';

export function truthLabels(kind: 'audio' | 'image' | 'course', classes: readonly string[]): string[] {
  return [...classes, ...[NONE_OF_THE_CLASSES, ...(kind === 'audio' ? [NO_SPEECH] : [])].filter((l) => !classes.includes(l))];
}
