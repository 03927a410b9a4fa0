import * as tf from '@tensorflow/tfjs';
import { DARKNET_FEATURE_LAYER } from './darknet-backbone.js';
import { DARKNET_CAT_CLASSES, DARKNET_DOG_CLASSES, DARKNET_FOX_CLASSES } from './zero-shot-classes.js';

/** The label the gated model answers when the picture holds none of its animals. */
export const NONE_LABEL = 'none';

/** Fixed weights of the "none of these" gate: s = sigmoid(sharpness * (animalMass - tau)). */
export interface NoneGate {
  /** Animal mass at which the gate is half open. */
  tau: number;
  /** Slope of the sigmoid over the mass (a). */
  sharpness: number;
}

export interface NoneGateCalibration extends NoneGate {
  method: string;
  /** Share of validation animals the gated model still answers with an animal label. */
  answered: number;
  keepAnswered: number;
  n: number;
  /** Percentiles of the validation animals' mass (for the report). */
  massPercentiles: { p1: number; p5: number; p50: number };
}

const ANIMAL_CLASS_INDICES: readonly number[] = [...DARKNET_CAT_CLASSES, ...DARKNET_DOG_CLASSES, ...DARKNET_FOX_CLASSES].map(([i]) => i);

/** 1000 weights, 1 on the 127 ImageNet cat/dog/fox classes (Darknet order) and 0 elsewhere. */
export function animalClassMask(): Float32Array {
  const mask = new Float32Array(1000);
  for (const i of ANIMAL_CLASS_INDICES) mask[i] = 1;
  return mask;
}

/**
 * "Animal mass" of one row of Darknet-Tiny logits: the ImageNet softmax probability summed over
 * the 127 cat/dog/fox classes. A cat, dog or fox photo puts most of its mass there; a car, a plate
 * of food or a room puts it on the other 873 classes.
 */
export function animalMass(logits: ArrayLike<number>): number {
  if (logits.length !== 1000) throw new Error(`animalMass: expected 1000 Darknet logits, got ${logits.length}`);
  let max = -Infinity;
  for (let i = 0; i < 1000; i++) if (logits[i] > max) max = logits[i];
  let sum = 0;
  for (let i = 0; i < 1000; i++) sum += Math.exp(logits[i] - max);
  let mass = 0;
  for (const i of ANIMAL_CLASS_INDICES) mass += Math.exp(logits[i] - max);
  return mass / sum;
}

/** s = sigmoid(a * (mass - tau)): the probability the gate gives to "one of the animals". */
export function gateOpen(mass: number, gate: NoneGate): number {
  return 1 / (1 + Math.exp(-gate.sharpness * (mass - gate.tau)));
}

/** The served output for head probabilities p (cat, dog, fox) and an animal mass: [p * s, 1 - s]. */
export function gatedProbabilities(headProbs: readonly number[], mass: number, gate: NoneGate): number[] {
  const s = gateOpen(mass, gate);
  return [...headProbs.map((p) => p * s), 1 - s];
}

/**
 * Calibrates tau for a fixed sharpness on validation animals (never on the test split). Image i is
 * answered with an animal (not "none") while p_max * s > 1 - s, i.e. while
 * tau < tau_i = mass_i + ln(p_max_i) / a: tau_i is the image's animal mass, lowered a little when
 * the head is unsure. tau is the largest value keeping at least `keepAnswered` of validation
 * images answered (with keepAnswered = 0.99, about the 1st percentile of the animals' mass).
 */
export function calibrateNoneGate(
  validation: { headProbs: readonly (readonly number[])[]; mass: readonly number[] },
  options: { keepAnswered?: number; sharpness?: number } = {},
): NoneGateCalibration {
  const keep = options.keepAnswered ?? 0.99;
  const a = options.sharpness ?? 30;
  if (!(keep > 0 && keep <= 1)) throw new Error(`keepAnswered must be in (0, 1], got ${keep}`);
  if (!(a > 0)) throw new Error(`gate sharpness must be > 0, got ${a}`);
  const n = validation.mass.length;
  if (n === 0) throw new Error('calibrateNoneGate: no validation images');
  if (validation.headProbs.length !== n) throw new Error(`calibrateNoneGate: ${validation.headProbs.length} probability rows but ${n} masses`);
  const flip = validation.mass.map((m, i) => m + Math.log(Math.max(...validation.headProbs[i])) / a).sort((x, y) => x - y);
  const allowedBelow = Math.floor((1 - keep) * n + 1e-9);
  // Strictly below the flip point of the first image that must stay answered, rounded down to 6 decimals.
  let tau = Math.floor(flip[Math.min(allowedBelow, n - 1)] * 1e6) / 1e6;
  if (tau >= flip[Math.min(allowedBelow, n - 1)]) tau -= 1e-6;
  tau = Math.max(0, Number(tau.toFixed(6)));
  const gate = { tau, sharpness: a };
  const answered = validation.mass.filter((m, i) => {
    const g = gatedProbabilities(validation.headProbs[i], m, gate);
    return g.indexOf(Math.max(...g)) < g.length - 1;
  }).length / n;
  const sorted = [...validation.mass].sort((x, y) => x - y);
  const pct = (q: number) => sorted[Math.min(n - 1, Math.floor(q * n))];
  return {
    ...gate,
    method: `largest tau keeping >= ${keep * 100}% of validation animals answered (not "none"), sharpness a = ${a} fixed`,
    answered,
    keepAnswered: keep,
    n,
    massPercentiles: { p1: pct(0.01), p5: pct(0.05), p50: pct(0.5) },
  };
}

/**
 * One model: Darknet-Tiny -> (a) pooled features -> the trained head's softmax p over the animals,
 * (b) the ImageNet softmax -> animal mass (Dense(1) with fixed 0/1 weights) -> gate
 * s = Dense(1, sigmoid) with kernel a and bias -a*tau. Output [p * s, 1 - s]: probabilities over
 * [...labels, 'none'] that sum to 1. Only Dense, Activation, Multiply and Concatenate layers are
 * added, all of which the ONNX exporter converts.
 */
export function composeGatedTransferModel(darknet: tf.LayersModel, head: tf.LayersModel, gate: NoneGate): tf.LayersModel {
  const classes = (head.outputs[0].shape as number[])[1];
  const feat = darknet.getLayer(DARKNET_FEATURE_LAYER).output as tf.SymbolicTensor;
  let p = tf.layers.globalAveragePooling2d({ name: 'feature_pool' }).apply(feat) as tf.SymbolicTensor;
  for (const layer of head.layers) p = layer.apply(p) as tf.SymbolicTensor;

  const imagenet = tf.layers.activation({ name: 'imagenet_softmax', activation: 'softmax' }).apply(darknet.outputs[0]) as tf.SymbolicTensor;
  const fixed = (name: string, units: number, activation: 'linear' | 'sigmoid', kernel: tf.Tensor2D, bias: tf.Tensor1D) =>
    tf.layers.dense({ name, units, activation, trainable: false, weights: [kernel, bias] });
  const mass = fixed('animal_mass', 1, 'linear', tf.tensor2d(animalClassMask(), [1000, 1]), tf.zeros([1]) as tf.Tensor1D).apply(imagenet) as tf.SymbolicTensor;
  const s = fixed('animal_gate', 1, 'sigmoid', tf.tensor2d([[gate.sharpness]]), tf.tensor1d([-gate.sharpness * gate.tau])).apply(mass) as tf.SymbolicTensor;
  const sRepeated = fixed('gate_repeat', classes, 'linear', tf.ones([1, classes]) as tf.Tensor2D, tf.zeros([classes]) as tf.Tensor1D).apply(s) as tf.SymbolicTensor;
  const animals = tf.layers.multiply({ name: 'gated_animals' }).apply([p, sRepeated]) as tf.SymbolicTensor;
  const none = fixed('none_prob', 1, 'linear', tf.tensor2d([[-1]]), tf.tensor1d([1])).apply(s) as tf.SymbolicTensor;
  const out = tf.layers.concatenate({ name: 'gated_probs', axis: -1 }).apply([animals, none]) as tf.SymbolicTensor;
  return tf.model({ name: 'animal_transfer_gated', inputs: darknet.inputs, outputs: out });
}
