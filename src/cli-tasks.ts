import { type Command, Option } from 'commander';
import { ConfigError } from './core/config.js';

/** Task commands: train, eval, classify, analyze, recommend. Each imports its module lazily. */
const num = (flag: string) => (v: string) => {
  const n = Number(v);
  if (!Number.isFinite(n)) throw new ConfigError(`${flag}: "${v}" is not a number`);
  return n;
};
const int = (flag: string) => (v: string) => {
  const n = num(flag)(v);
  if (!Number.isInteger(n)) throw new ConfigError(`${flag}: "${v}" is not an integer`);
  return n;
};

function printJson(v: unknown): void {
  process.stdout.write(JSON.stringify(v) + '\n');
}

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
    .action(async (o) => {
      if (o.task === 'gender') {
        const { trainGender } = await import('./training/speech/gender-commands.js');
        printJson(await trainGender({ data: o.data ?? (await defaultRavdess()), out: o.out, folds: o.folds, epochs: o.epochs, seed: o.seed, publish: o.publish }));
        return;
      }
      const { trainAudioCommand } = await import('./training/speech/commands.js');
      await trainAudioCommand({ data: o.data, out: o.out, task: o.task, model: o.model, folds: o.folds, epochs: o.epochs, seed: o.seed, publish: o.publish });
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
    .action(async (o) => {
      const { trainImageCommand } = await import('./training/image/commands.js');
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
      });
    });
  train
    .command('course')
    .description('subject, popularity and subscriber models from a course CSV; cross-validated comparison; ships the best')
    .option('--data <csv>', 'course CSV (default <data>/udemy/udemy_courses.csv)')
    .option('--out <dir>', 'model repository root (default models/)')
    .option('--seed <n>', 'random seed', int('--seed'))
    .action(async (o) => {
      const { trainCourseCommand } = await import('./training/course/commands.js');
      printJson(await trainCourseCommand({ data: o.data, out: o.out, seed: o.seed }));
    });

  const evaluate = program.command('eval').description('evaluate a shipped model on labelled data; prints one JSON object');
  evaluate
    .command('audio')
    .option('--data <dir>', 'labelled clips (default <data>/ravdess)')
    .option('--model <name|dir>', 'model name or version folder')
    .addOption(new Option('--task <task>', 'what to predict').choices(['emotion', 'gender']).default('emotion'))
    .action(async (o) => {
      if (o.task === 'gender') {
        const { evalGender } = await import('./training/speech/gender-commands.js');
        printJson(await evalGender({ data: o.data ?? (await defaultRavdess()), model: o.model }));
        return;
      }
      const { evalAudio } = await import('./training/speech/commands.js');
      await evalAudio({ data: o.data, model: o.model, task: o.task });
    });
  evaluate
    .command('image')
    .requiredOption('--data <dir>', 'folder with one sub-folder of images per class')
    .option('--model <name|dir>', 'model name or version folder (default animal)')
    .addOption(new Option('--subset <which>', 'all images, or only the held-out test split the model was trained without').choices(['all', 'test']).default('all'))
    .action(async (o) => {
      const { evalImage } = await import('./training/image/commands.js');
      await evalImage({ data: o.data, model: o.model, subset: o.subset });
    });
  evaluate
    .command('course')
    .option('--data <csv>', 'course CSV (default <data>/udemy/udemy_courses.csv)')
    .option('--model <dir>', 'model version folder (default the newest models/course)')
    .action(async (o) => {
      const { evalCourse } = await import('./training/course/commands.js');
      await evalCourse({ data: o.data, model: o.model });
    });

  const classify = program.command('classify').description('classify inputs; prints JSON lines');
  classify
    .command('audio')
    .argument('<input>', 'audio file, URL or network stream')
    .option('--model <name|dir>', 'model name or version folder (default emotion)')
    .option('--realtime', 'pace the input in real time')
    .action(async (input: string, o) => {
      const { classifyAudio } = await import('./training/speech/commands.js');
      await classifyAudio({ input, model: o.model, realtime: o.realtime });
    });
  classify
    .command('image')
    .argument('<files...>', 'image files or folders')
    .option('--model <name|dir>', 'model name or version folder (default animal)')
    .action(async (files: string[], o) => {
      const { classifyImage } = await import('./training/image/commands.js');
      await classifyImage({ files, model: o.model });
    });
  classify
    .command('course')
    .argument('<file>', 'CSV or JSON lines of course records')
    .option('--model <dir>', 'model version folder (default the newest models/course)')
    .action(async (file: string, o) => {
      const { classifyCourse } = await import('./training/course/commands.js');
      await classifyCourse({ file, model: o.model });
    });

  const analyze = program.command('analyze').description('statistical analysis reports (HTML with charts + JSON)');
  analyze
    .command('speech')
    .description('MFCC coefficients, male vs female: z, Welch t, ANOVA, F-test, effect sizes, Holm/BH correction')
    .option('--data <dir>', 'labelled clips (default <data>/ravdess)')
    .requiredOption('--out <dir>', 'output folder')
    .action(async (o) => {
      const { analyzeSpeech } = await import('./training/speech/speech-statistics.js');
      const r = await analyzeSpeech({ data: o.data ?? (await defaultRavdess()), out: o.out });
      printJson(r);
    });
  analyze
    .command('courses')
    .description('course statistics, tests, model comparison and explanations')
    .option('--data <csv>', 'course CSV (default <data>/udemy/udemy_courses.csv)')
    .requiredOption('--out <dir>', 'output folder')
    .action(async (o) => {
      const { analyzeCourses } = await import('./training/course/commands.js');
      printJson(await analyzeCourses({ data: o.data, out: o.out }));
    });

  program
    .command('recommend')
    .description('recommend courses for a learner; prints JSON')
    .requiredOption('--query <text>', 'what the learner wants to learn')
    .option('--subject <subject>', 'only this subject')
    .option('--level <level>', 'only this level')
    .option('--max-price <n>', 'budget (max price)')
    .option('--max-hours <n>', 'max content hours')
    .option('--free <bool>', 'true: free only; false: paid only')
    .option('--limit <n>', 'results (default 10)')
    .option('--data <csv>', 'course CSV the catalogue is built from when no snapshot exists')
    .action(async (o) => {
      const { recommendCommand } = await import('./recommend/commands.js');
      const r = await recommendCommand({ query: o.query, subject: o.subject, level: o.level, maxPrice: o.maxPrice, maxHours: o.maxHours, free: o.free, limit: o.limit, data: o.data });
      printJson(r);
    });
}

async function defaultRavdess(): Promise<string> {
  const { requireDataPath } = await import('./core/paths.js');
  return requireDataPath('ravdess', 'RAVDESS clips');
}
