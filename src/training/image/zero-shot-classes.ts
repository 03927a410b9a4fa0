import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { sharedModelsRoot } from '../../core/paths.js';

/**
 * Which of Darknet-Tiny's 1000 ImageNet classes are cats, dogs and foxes. Indices are positions in
 * darknet_classes.json (Darknet order, NOT the usual ImageNet order); the names are kept beside them
 * so a different class file is caught by `checkDarknetClassMapping` instead of silently mis-mapping.
 *
 * cat: the five domestic-cat classes (wild cats such as cougar, lynx, Madagascar cat are not cats here);
 * dog: the 118 ImageNet dog breeds (ImageNet ids 151..268); fox: the four true foxes (fox squirrel and
 * wire-haired fox terrier are not foxes).
 */
export const DARKNET_CAT_CLASSES: ReadonlyArray<readonly [number, string]> = [
  [7, "Egyptian cat"],
  [9, "Persian cat"],
  [54, "tiger cat"],
  [94, "Siamese cat"],
  [173, "tabby"],
];

export const DARKNET_DOG_CLASSES: ReadonlyArray<readonly [number, string]> = [
  [1, "English setter"],
  [2, "Siberian husky"],
  [3, "Australian terrier"],
  [4, "English springer"],
  [14, "malamute"],
  [16, "Great Dane"],
  [17, "Walker hound"],
  [18, "Welsh springer spaniel"],
  [19, "whippet"],
  [20, "Scottish deerhound"],
  [24, "Weimaraner"],
  [25, "soft-coated wheaten terrier"],
  [26, "Dandie Dinmont"],
  [28, "Old English sheepdog"],
  [30, "otterhound"],
  [31, "bloodhound"],
  [32, "Airedale"],
  [35, "giant schnauzer"],
  [40, "dalmatian"],
  [41, "black-and-tan coonhound"],
  [42, "papillon"],
  [44, "Staffordshire bullterrier"],
  [45, "Mexican hairless"],
  [46, "Bouvier des Flandres"],
  [48, "miniature poodle"],
  [49, "Cardigan"],
  [50, "malinois"],
  [55, "Lhasa"],
  [58, "Yorkshire terrier"],
  [59, "Newfoundland"],
  [62, "Norwegian elkhound"],
  [63, "Rottweiler"],
  [65, "Saluki"],
  [67, "schipperke"],
  [68, "Pekinese"],
  [69, "Brabancon griffon"],
  [70, "West Highland white terrier"],
  [71, "Sealyham terrier"],
  [76, "Irish wolfhound"],
  [78, "EntleBucher"],
  [81, "French bulldog"],
  [83, "basenji"],
  [85, "Bernese mountain dog"],
  [86, "Maltese dog"],
  [87, "Norfolk terrier"],
  [88, "toy terrier"],
  [89, "vizsla"],
  [90, "cairn"],
  [92, "groenendael"],
  [93, "clumber"],
  [96, "komondor"],
  [97, "Afghan hound"],
  [98, "Japanese spaniel"],
  [104, "borzoi"],
  [105, "toy poodle"],
  [106, "Kerry blue terrier"],
  [108, "Scotch terrier"],
  [109, "Tibetan mastiff"],
  [111, "Doberman"],
  [112, "Boston bull"],
  [113, "Greater Swiss Mountain dog"],
  [114, "Appenzeller"],
  [115, "Shih-Tzu"],
  [116, "Irish water spaniel"],
  [117, "Pomeranian"],
  [118, "Bedlington terrier"],
  [122, "miniature schnauzer"],
  [123, "collie"],
  [124, "golden retriever"],
  [125, "Irish terrier"],
  [126, "affenpinscher"],
  [127, "Border collie"],
  [129, "boxer"],
  [130, "silky terrier"],
  [131, "beagle"],
  [132, "Leonberg"],
  [133, "German short-haired pointer"],
  [138, "Chesapeake Bay retriever"],
  [139, "bull mastiff"],
  [140, "kuvasz"],
  [142, "pug"],
  [143, "curly-coated retriever"],
  [144, "Norwich terrier"],
  [145, "flat-coated retriever"],
  [147, "keeshond"],
  [148, "Eskimo dog"],
  [149, "Brittany spaniel"],
  [150, "standard poodle"],
  [151, "Lakeland terrier"],
  [153, "Gordon setter"],
  [155, "standard schnauzer"],
  [157, "Tibetan terrier"],
  [159, "wire-haired fox terrier"],
  [160, "basset"],
  [167, "chow"],
  [169, "American Staffordshire terrier"],
  [170, "Shetland sheepdog"],
  [171, "Great Pyrenees"],
  [172, "Chihuahua"],
  [175, "Labrador retriever"],
  [176, "Saint Bernard"],
  [178, "Samoyed"],
  [179, "bluetick"],
  [180, "redbone"],
  [183, "kelpie"],
  [186, "miniature pinscher"],
  [188, "Italian greyhound"],
  [190, "cocker spaniel"],
  [191, "Irish setter"],
  [195, "Sussex spaniel"],
  [196, "Pembroke"],
  [197, "Blenheim spaniel"],
  [199, "Rhodesian ridgeback"],
  [203, "Ibizan hound"],
  [206, "English foxhound"],
  [207, "briard"],
  [209, "Border terrier"],
  [210, "German shepherd"],
];

export const DARKNET_FOX_CLASSES: ReadonlyArray<readonly [number, string]> = [
  [0, "kit fox"],
  [61, "red fox"],
  [66, "grey fox"],
  [158, "Arctic fox"],
];

export const ZERO_SHOT_GROUPS: Record<'cat' | 'dog' | 'fox', ReadonlyArray<readonly [number, string]>> = {
  cat: DARKNET_CAT_CLASSES,
  dog: DARKNET_DOG_CLASSES,
  fox: DARKNET_FOX_CLASSES,
};

export function darknetDir(): string {
  return join(sharedModelsRoot(), 'darknet-tiny');
}

export function readDarknetClassNames(dir = darknetDir()): string[] {
  const p = join(dir, 'darknet_classes.json');
  let names: unknown;
  try {
    names = JSON.parse(readFileSync(p, 'utf8'));
  } catch (e) {
    throw new Error(`Darknet-Tiny class names not readable at ${p}: ${(e as Error).message} (set STREAMLENS_SHARED_MODELS)`);
  }
  if (!Array.isArray(names) || names.length !== 1000) throw new Error(`${p}: expected a JSON array of 1000 class names`);
  return names as string[];
}

/** Throws unless every listed index names the listed class in the given class list. */
export function checkDarknetClassMapping(names: readonly string[]): void {
  for (const [group, list] of Object.entries(ZERO_SHOT_GROUPS)) {
    for (const [i, name] of list) {
      if (names[i] !== name) throw new Error(`zero-shot ${group} class ${i} should be "${name}" but the class file says "${names[i]}"`);
    }
  }
}

/**
 * Zero-shot animal scores from Darknet-Tiny logits: softmax over all 1000 classes, then the
 * probabilities summed over each group's classes. Returns {cat, dog, fox} per row; the rest of the
 * mass (1 - sum) is "something else".
 */
export function zeroShotScores(logits: Float32Array, rows: number): Array<Record<'cat' | 'dog' | 'fox', number>> {
  const k = logits.length / rows;
  if (k !== 1000) throw new Error(`zeroShotScores: expected 1000 logits per row, got ${k}`);
  const out: Array<Record<'cat' | 'dog' | 'fox', number>> = [];
  for (let r = 0; r < rows; r++) {
    const row = logits.subarray(r * k, (r + 1) * k);
    let max = -Infinity;
    for (let i = 0; i < k; i++) if (row[i] > max) max = row[i];
    let sum = 0;
    for (let i = 0; i < k; i++) sum += Math.exp(row[i] - max);
    const group = (list: ReadonlyArray<readonly [number, string]>) => list.reduce((a, [i]) => a + Math.exp(row[i] - max) / sum, 0);
    out.push({ cat: group(DARKNET_CAT_CLASSES), dog: group(DARKNET_DOG_CLASSES), fox: group(DARKNET_FOX_CLASSES) });
  }
  return out;
}
