import * as tf from '@tensorflow/tfjs';
import { argMax } from './classification-summary.js';
import { downsampledFeatureModel } from './darknet-backbone.js';
import { applyHead } from './models.js';

/**
 * The animal recogniser as a two-stage cascade. Darknet-Tiny at 224x224 costs ~0.9 GFLOP (about
 * 12 ms on one core); on the same input average-pooled 2x (112x112) it costs a quarter. A fast model
 * (the backbone on the pooled input + its own head) answers the photos it is sure of; the rest go to
 * the full model. The threshold is calibrated on validation photos so that the cascade loses at most
 * `tolerance` of the full model's validation accuracy; it is served by CascadeSession.
 */

/** Candidate thresholds, lowest first (the lowest that keeps the accuracy wins: fewest escalations). */
export const CASCADE_THRESHOLDS = [0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.9, 0.925, 0.95, 0.975, 0.99];

/** Default input downsampling of the fast model. */
export const CASCADE_DOWNSAMPLE = 2;

/** The fast model: input [batch, s, s, 3] -> average pool by `factor` -> Darknet-Tiny (loaded at s/factor) -> pooled features -> `head`. */
export function composeFastModel(darknetSmall: tf.LayersModel, head: tf.LayersModel, factor: number): tf.LayersModel {
  const features = downsampledFeatureModel(darknetSmall, factor);
  return tf.model({ name: 'animal_transfer_fast', inputs: features.inputs, outputs: applyHead(head, features.outputs[0]) });
}

/** What the cascade answers: the fast probabilities where their top reaches `threshold`, else the full model's. */
export function cascadeProbs(fast: number[][], full: number[][], threshold: number): { probs: number[][]; escalated: boolean[] } {
  if (fast.length !== full.length) throw new Error(`cascade: ${fast.length} fast rows vs ${full.length} full rows`);
  const escalated = fast.map((p) => !(Math.max(...p) >= threshold));
  return { probs: fast.map((p, i) => (escalated[i] ? full[i] : p)), escalated };
}

export interface CascadeCalibration {
  threshold: number;
  tolerance: number;
  /** Validation accuracy of the full model alone, of the fast model alone and of the cascade. */
  fullAccuracy: number;
  fastAccuracy: number;
  accuracy: number;
  /** Share of validation photos escalated to the full model. */
  escalated: number;
}

/**
 * The lowest threshold of `CASCADE_THRESHOLDS` whose cascade validation accuracy is at least the full
 * model's minus `tolerance`; null when none is (then the full model is served alone).
 */
export function calibrateCascade(fast: number[][], full: number[][], truth: number[], tolerance = 0.01): CascadeCalibration | null {
  const accuracy = (rows: number[][]) => rows.filter((p, i) => argMax(p) === truth[i]).length / truth.length;
  const fullAccuracy = accuracy(full);
  const fastAccuracy = accuracy(fast);
  for (const threshold of CASCADE_THRESHOLDS) {
    const c = cascadeProbs(fast, full, threshold);
    const acc = accuracy(c.probs);
    if (acc >= fullAccuracy - tolerance - 1e-12) {
      return { threshold, tolerance, fullAccuracy, fastAccuracy, accuracy: acc, escalated: c.escalated.filter(Boolean).length / truth.length };
    }
  }
  return null;
}
