import { modelsRoot, resolveModel } from '../../models/model-repository.js';

/** Cross-validation folds of a published speech model, from its manifest. */
export interface PublishedFolds {
  /** e.g. "emotion/4 (cnn)". */
  name: string;
  folds: { fold: number; testSpeakers: string[]; accuracy: number; macroF1: number }[];
  accuracy?: { mean: number; std: number };
  macroF1?: { mean: number; std: number };
}

/** The per-fold figures of the newest published version of `name`, or undefined when none has folds. */
export function publishedFolds(name: string, root?: string): PublishedFolds | undefined {
  let v;
  try {
    v = resolveModel(name, undefined, root ?? modelsRoot());
  } catch {
    return undefined;
  }
  const metrics = v.manifest.metrics as Partial<Pick<PublishedFolds, 'folds' | 'accuracy' | 'macroF1'>>;
  if (!metrics.folds?.length) return undefined;
  const kind = (v.manifest.training as { model?: string } | undefined)?.model ?? 'model';
  return { name: `${v.manifest.name}/${v.manifest.version} (${kind})`, folds: metrics.folds, accuracy: metrics.accuracy, macroF1: metrics.macroF1 };
}

/** The published fold with exactly these test speakers. */
export function matchingFold(p: PublishedFolds, testSpeakers: readonly string[]): PublishedFolds['folds'][number] | undefined {
  const key = [...testSpeakers].sort().join(' ');
  return p.folds.find((f) => [...f.testSpeakers].sort().join(' ') === key);
}
