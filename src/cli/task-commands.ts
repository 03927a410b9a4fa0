import { type Command, InvalidArgumentError, Option } from 'commander';
import { inputFailed, UsageError, warn } from './support.js';

/**
 * Task commands: train, eval, classify, analyze, recommend. Each imports its module lazily.
 * Output: eval/train/analyze/recommend print exactly one JSON document on stdout; classify prints
 * JSON lines. An input that fails gets an error line (JSON on stdout where the command prints
 * lines, one line on stderr) and exit code 1 while the others go on (src/cli/support.ts).
 */
const num = (_flag: string) => (v: string) => {
  const n = Number(v);
  if (v.trim() === '' || !Number.isFinite(n)) throw new InvalidArgumentError('expected a number.');
  return n;
};
const int = (flag: string) => (v: string) => {
  const n = num(flag)(v);
  if (!Number.isInteger(n)) throw new InvalidArgumentError('expected a whole number.');
  return n;
};

function printJson(v: unknown): void {
  process.stdout.write(JSON.stringify(v) + '\n');
}

function printWarnings(command: string, r: { warnings?: string[] }): void {
  for (const w of r.warnings ?? []) warn(`${command}: ${w}`);
}

/** `--subset all|unseen` ('test' is accepted for unseen: the old name in `eval image`). */
function subsetOption(): Option {
  return new Option('--subset <which>', 'all: every item of the data; unseen: only those the model was not trained on (speakers, images, courses)')
    .default('all')
    .argParser((v: string) => {
      if (v === 'all' || v === 'unseen') return v;
      if (v === 'test') return 'unseen';
      throw new InvalidArgumentError('expected all or unseen.');
    });
}

/** Options every eval command takes: --data, --model, --subset. */
function evalCommand(parent: Command, name: string, data: string, model: string): Command {
  return parent
    .command(name)
    .option('--data <path>', data)
    .option('--model <name|dir>', model)
    .addOption(subsetOption());
}

const RECOMMEND_OPTION: Record<string, string> = { query: '--query', subject: '--subject', level: '--level', maxPrice: '--max-price', maxHours: '--max-hours', free: '--free', limit: '--limit' };

export function registerTaskCommands(program: Command): void {
  const train = program.command('train').description('train a model, evaluate it honestly, publish a new version with its report');
  train
    .command('audio')
    .description('speech emotion (or gender) from labelled clips: RAVDESS, CREMA-D, TESS, SAVEE names or folder-per-label')
    .option('--data <dir>', 'clips folder (default <data>/ravdess)')
    .option('--out <dir>', 'model repository root (default models/)')
    .addOption(new Option('--task <task>', 'what to predict').choices(['emotion', 'gender']).default('emotion'))
    .addOption(new Option('--model <kind>', 'network').choices(['cnn', 'lstm', 'cnn-lstm']))
    .option('--folds <n>', 'speaker-grouped folds for the unseen-speaker estimate (0 skips)', int('--folds'))
    .option('--epochs <n>', 'max epochs', int('--epochs'))
    .option('--seed <n>', 'random seed', int('--seed'))
    .option('--no-publish', 'evaluate only; do not write a model version')
    .option('--report <dir>', 'also write the training report (report.html, report.json) here; the only report of a --no-publish run')
    .option('--only-folds <list>', 'train only these folds (1-based, comma separated); finished folds are cached', (v: string) =>
      v.split(',').map((x) => {
        const n = Number(x);
        if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('expected fold numbers from 1, comma separated.');
        return n - 1;
      }),
    )
    .option('--lstm-layers <n>', 'stacked LSTM layers of --model lstm (default 1)', int('--lstm-layers'))
    .option('--lstm-units <n>', 'units per LSTM layer (default 48 x width)', int('--lstm-units'))
    .option('--early-stopping-speakers <n>', "hold out this many of each fold's training speakers for early stopping (default 0: none)", int('--early-stopping-speakers'))
    .option('--patience <n>', 'epochs without a better early-stopping accuracy before stopping (default 3)', int('--patience'))
    .option('--train-window-stride <n>', 'use every n-th speech window of a training clip (default 3)', int('--train-window-stride'))
    .option('--augmented-copies <n>', 'waveform-augmented copies per training clip (default 1)', int('--augmented-copies'))
    .action(async (o) => {
      const common = { folds: o.folds, epochs: o.epochs, seed: o.seed, publish: o.publish, reportDir: o.report, onlyFolds: o.onlyFolds };
      if (o.task === 'gender') {
        const { trainGender } = await import('../training/speech/gender-commands.js');
        printJson(await trainGender({ data: o.data ?? (await defaultRavdess()), out: o.out, ...common }));
        return;
      }
      const { trainAudioCommand } = await import('../training/speech/commands.js');
      await trainAudioCommand({
        data: o.data,
        out: o.out,
        task: o.task,
        model: o.model,
        ...common,
        lstmLayers: o.lstmLayers,
        lstmUnits: o.lstmUnits,
        earlyStoppingSpeakers: o.earlyStoppingSpeakers,
        patience: o.patience,
        trainWindowStride: o.trainWindowStride,
        augmentedCopies: o.augmentedCopies,
      });
    });
  train
    .command('image-gate')
    .description('publish the next version of an image model with the Mahalanobis "none of these" gates in its graphs (fitted on its recorded training split, calibrated on its validation split); prints one JSON object')
    .requiredOption('--data <dir>', 'the folder the base model was trained on')
    .option('--model <name|dir>', 'base model name (latest version) or version folder', 'animal')
    .option('--base-version <n>', 'base version of a named model (default its latest)')
    .option('--out <dir>', 'model repository root (default models/)')
    .action(async (o) => {
      const { gateImageVersion } = await import('../training/image/gate-version.js');
      const r = await gateImageVersion({ data: o.data, model: o.model, version: o.baseVersion, out: o.out });
      process.stdout.write(JSON.stringify(r) + '\n');
    });
  train
    .command('image')
    .description('cat / dog / fox (or any folder-per-class set): CNN from scratch and Darknet-Tiny transfer; ships the better')
    .requiredOption('--data <dir>', 'folder with one sub-folder of images per class')
    .option('--out <dir>', 'model repository root (default models/)')
    .addOption(new Option('--model <kind>', 'which model(s)').choices(['cnn', 'transfer', 'both']).default('both'))
    .option('--epochs <n>', 'max epochs of the transfer head', int('--epochs'))
    .option('--seed <n>', 'random seed', int('--seed'))
    .option('--input-size <px>', 'input size of the transfer model (a multiple of 32; default 224, Darknet-Tiny\'s own; 128 is ~3x faster and less accurate)', int('--input-size'))
    .option('--none-gate', 'add the "none of these" answer gated on Darknet\'s ImageNet animal mass (see BENCHMARKS.md)')
    .option('--no-cascade', 'serve the full transfer model alone (default: a 2x-downsampled fast stage answers the photos it is sure of)')
    .option('--cascade-tolerance <acc>', 'validation accuracy the cascade may lose against the full model (default 0.01)', Number)
    .option('--no-ood-gate', 'serve without the Mahalanobis "none of these" gates (default: appended to the served graphs, see BENCHMARKS.md)')
    .option('--head-seeds <n>', 'transfer heads per stage (seeds seed, seed+1, ...), served as one head averaging their probabilities (default 5)', int('--head-seeds'))
    .option('--no-analyses', 'leave the image analyses (grayscale vs RGB, head search, McNemar, ROC/PR) out of the report')
    .option('--search-budget <n>', 'random trials of the analyses\' head search (default 12)', int('--search-budget'))
    .action(async (o) => {
      const { trainImageCommand } = await import('../training/image/commands.js');
      // trainImageCommand prints its JSON result itself.
      await trainImageCommand({
        data: o.data,
        out: o.out,
        model: o.model,
        epochs: o.epochs,
        seed: o.seed,
        transferInputSize: o.inputSize,
        noneGate: o.noneGate === true,
        cascade: o.cascade !== false,
        cascadeTolerance: o.cascadeTolerance,
        oodGate: o.oodGate !== false,
        analyses: o.analyses !== false,
        searchBudget: o.searchBudget,
        headSeeds: o.headSeeds,
      });
    });
  train
    .command('course')
    .description('subject, popularity and subscriber models from a course CSV; cross-validated comparison; ships the best')
    .option('--data <csv>', 'course CSV (default <data>/udemy/udemy_courses.csv)')
    .option('--out <dir>', 'model repository root (default models/)')
    .option('--seed <n>', 'random seed', int('--seed'))
    .action(async (o) => {
      const { trainCourseCommand } = await import('../training/course/commands.js');
      printJson(await trainCourseCommand({ data: o.data, out: o.out, seed: o.seed }));
    });

  const evaluate = program
    .command('eval')
    .description('evaluate a shipped model on labelled data; prints one JSON object with seenSpeakers / seenItems (how much of the data the model was trained on)');
  evalCommand(evaluate, 'audio', 'labelled clips (default <data>/ravdess)', 'model name or version folder (default: the task name)')
    .description('speech emotion or gender on labelled clips; seenSpeakers counts the speakers the model was trained on')
    .addOption(new Option('--task <task>', 'what to predict').choices(['emotion', 'gender']).default('emotion'))
    .action(async (o) => {
      if (o.task === 'gender') {
        const { evalGender } = await import('../training/speech/gender-commands.js');
        const r = await evalGender({ data: o.data ?? (await defaultRavdess()), model: o.model, subset: o.subset });
        printWarnings('eval audio', r);
        printJson(r);
        return;
      }
      const { evalAudio } = await import('../training/speech/commands.js');
      const r = await evalAudio({ data: o.data, model: o.model, task: o.task, subset: o.subset, print: false });
      printWarnings('eval audio', r);
      printJson(r);
    });
  evalCommand(evaluate, 'image', 'folder with one sub-folder of images per class (default <data>/animals)', 'model name or version folder (default animal)')
    .description('animal recognition on a folder per class; seenItems counts the images the model was trained on')
    .action(async (o) => {
      const { evalImage } = await import('../training/image/commands.js');
      const r = await evalImage({ data: o.data, model: o.model, subset: o.subset, print: false });
      printWarnings('eval image', r);
      if (r.skipped.length > 0) for (const s of r.skipped) inputFailed(`eval image: skipped ${s.error}`);
      printJson(r);
    });
  evalCommand(evaluate, 'course', 'course CSV (default <data>/udemy/udemy_courses.csv)', 'model version or version folder (default the newest models/course)')
    .description('subject, popularity and subscriber models on a course CSV; seenItems counts the courses in the training split')
    .action(async (o) => {
      const { evalCourse } = await import('../training/course/commands.js');
      const r = await evalCourse({ data: o.data, model: o.model, subset: o.subset, write: () => undefined });
      printWarnings('eval course', r);
      printJson(r);
    });

  const classify = program.command('classify').description('classify inputs; prints JSON lines (an input that fails: an error line, exit code 1, the others go on)');
  classify
    .command('audio')
    .description('speech emotion per window of each input, then its summary line')
    .argument('<inputs...>', 'audio files, URLs or network streams')
    .option('--model <name|dir>', 'model name or version folder (default emotion)')
    .option('--realtime', 'pace the input in real time')
    .action(async (inputs: string[], o) => {
      const { classifyAudioInputs } = await import('../training/speech/commands.js');
      await classifyAudioInputs({ inputs, model: o.model, realtime: o.realtime, onError: (_input, message, e) => inputFailed(`classify audio: ${message}`, e) });
    });
  classify
    .command('image')
    .description('cat / dog / fox (or "unknown") per image')
    .argument('<files...>', 'image files or folders')
    .option('--model <name|dir>', 'model name or version folder (default animal)')
    .action(async (files: string[], o) => {
      const { classifyImage } = await import('../training/image/commands.js');
      await classifyImage({ files, model: o.model, onError: (_file, message, e) => inputFailed(`classify image: ${message}`, e) });
    });
  classify
    .command('course')
    .description('subject, popularity and subscribers per course record, with explanations')
    .argument('<file>', 'CSV or JSON lines of course records')
    .option('--model <dir>', 'model version folder (default the newest models/course)')
    .action(async (file: string, o) => {
      const { classifyCourse } = await import('../training/course/commands.js');
      const r = await classifyCourse({ file, model: o.model });
      if (r.errors > 0) inputFailed(`classify course: ${r.errors} of the ${r.records} records in ${file} are invalid (their {record, error, field} lines name the field); fix them and classify again`);
    });

  const analyze = program.command('analyze').description('statistical analysis reports (HTML with charts + JSON)');
  analyze
    .command('speech')
    .description('MFCC coefficients, male vs female (z, Welch t, ANOVA, F-test, effect sizes, Holm/BH); emotion baselines (SVM, random forest) on the speaker folds beside the CNN, contrast / chroma on or off; one clip\'s waveform and spectrograms; writes the report to --out and prints a one-line summary')
    .option('--data <dir>', 'labelled clips (default <data>/ravdess)')
    .requiredOption('--out <dir>', 'output folder')
    .option('--figure-clip <file>', 'the clip drawn as waveform, spectrogram, mel spectrogram and roll-off (default: the first clip of --data)')
    .option('--no-emotion-baselines', 'leave out the emotion baselines (SVM, random forest; contrast / chroma on or off)')
    .action(async (o) => {
      const { analyzeSpeech, speechSummary } = await import('../training/speech/speech-statistics.js');
      const r = await analyzeSpeech({ data: o.data ?? (await defaultRavdess()), out: o.out, figureClip: o.figureClip, emotionBaselines: o.emotionBaselines });
      printJson(speechSummary(r));
    });
  analyze
    .command('backbones')
    .description('pretrained backbones for the animal model compared (Darknet-Tiny, EfficientNet-Lite0) under the same head on the shipped split: accuracy, recall, McNemar, cost, the Mahalanobis gate; writes the report to --out and prints one JSON object')
    .requiredOption('--efficientnet <dir>', 'converted EfficientNet-Lite0 weights (bash scripts/fetch-efficientnet-lite0.sh DIR)')
    .requiredOption('--out <dir>', 'output folder')
    .option('--data <dir>', 'the animal photos (default <data>/animals)')
    .option('--non-animal <dir>', 'real non-animal photos for the gate columns (bash scripts/fetch-non-animal-photos.sh DIR)')
    .option('--augmented-copies <n>', 'random augmented copies of each training photo besides it and its mirror (default 0: the features alone)', int('--augmented-copies'))
    .option('--seeds <n>', 'heads per backbone (seeds seed, seed + 1, ...), probabilities averaged (default 1)', int('--seeds'))
    .option('--update-model-report', "also append the sections to the shipped animal version's report.html (model files untouched)")
    .action(async (o) => {
      const { analyzeBackbones } = await import('../training/image/backbone-comparison.js');
      printJson(await analyzeBackbones({ efficientNet: o.efficientnet, out: o.out, data: o.data, nonAnimal: o.nonAnimal, augmentedCopies: o.augmentedCopies, seeds: o.seeds, updateModelReport: o.updateModelReport === true }));
    });
  analyze
    .command('images')
    .description('the image analyses of a shipped animal model on its recorded split: grayscale vs RGB, head hyperparameter search, from-scratch CNN, McNemar / z-tests, ROC and PR curves; writes the report to --out and prints a summary')
    .option('--model <name|dir>', 'model name or version folder (default animal)')
    .option('--data <dir>', 'folder the model was trained on (default: the one its manifest records)')
    .requiredOption('--out <dir>', 'output folder')
    .option('--update-model-report', "also append the sections to the model version's report.html (model files untouched)")
    .option('--search-budget <n>', 'random trials of the head search (default 12)', int('--search-budget'))
    .option('--cnn-epochs <n>', 'max epochs of the from-scratch CNN (default 12)', int('--cnn-epochs'))
    .action(async (o) => {
      const { analyzeImages } = await import('../training/image/analyze-images-command.js');
      printJson(await analyzeImages({ model: o.model, data: o.data, out: o.out, updateModelReport: o.updateModelReport === true, searchBudget: o.searchBudget, cnnEpochs: o.cnnEpochs }));
    });
  analyze
    .command('courses')
    .description('course statistics, tests, model comparison and explanations; writes the report to --out and prints a one-line summary')
    .option('--data <csv>', 'course CSV (default <data>/udemy/udemy_courses.csv)')
    .requiredOption('--out <dir>', 'output folder')
    .action(async (o) => {
      const { analyzeCourses } = await import('../training/course/analyze.js');
      printJson(await analyzeCourses({ data: o.data, out: o.out }));
    });

  program
    .command('recommend')
    .description('recommend courses for a learner; prints one JSON document whose catalogue field says which catalogue answered (source, path, size, age)')
    .requiredOption('--query <text>', 'what the learner wants to learn')
    .option('--subject <subject>', 'only this subject')
    .option('--level <level>', 'only this level')
    .option('--max-price <n>', 'budget (max price)')
    .option('--max-hours <n>', 'max content hours')
    .option('--free <bool>', 'true: free only; false: paid only')
    .option('--limit <n>', 'results (default 10)')
    .option('--data <csv>', 'course CSV the catalogue is built from (default <data>/udemy/udemy_courses.csv)')
    .option('--catalogue <file>', 'answer from this catalogue snapshot (e.g. the one `start --catalogue FILE` keeps); built from --data when it does not exist')
    .action(async (o) => {
      const { recommendCommand } = await import('../recommend/commands.js');
      const { RecommendationQueryError } = await import('../recommend/query.js');
      try {
        const r = await recommendCommand({ query: o.query, subject: o.subject, level: o.level, maxPrice: o.maxPrice, maxHours: o.maxHours, free: o.free, limit: o.limit, data: o.data, catalogue: o.catalogue });
        printJson(r);
      } catch (e) {
        if (e instanceof RecommendationQueryError) {
          const flag = RECOMMEND_OPTION[e.field] ?? e.field;
          throw new UsageError(`recommend ${flag}: ${e.message.replace(new RegExp(`^${e.field}: `), '')}`);
        }
        throw e;
      }
    });
}

async function defaultRavdess(): Promise<string> {
  const { requireDataPath } = await import('../core/paths.js');
  return requireDataPath('ravdess', 'RAVDESS clips');
}
