import { Command, CommanderError, Option } from 'commander';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { EXIT_USAGE, exitCodeOf, isVerbose, printError, setVerbose, UsageError } from './cli/support.js';
import { type AppConfig, loadConfigFile, parseConfig } from './core/config.js';
import { configureLogging } from './core/logger.js';
import { envValue } from './core/environment.js';
import { repoRoot, runnableFile } from './core/paths.js';

/**
 * The `streamlens` command line. Task commands import their modules lazily so `--help` and
 * small commands stay fast. Exit codes and error lines: src/cli/support.ts. Logs go to stderr only
 * (human-readable in a terminal, JSON otherwise; core/logger.ts); one-shot commands log warnings
 * and errors only unless LOG_LEVEL or --verbose say otherwise.
 */
const argv = process.argv.slice(2);
setVerbose(argv.includes('--verbose'));
const commandName = argv.find((a) => !a.startsWith('-'));
const LONG_RUNNING = new Set(['start', 'worker', 'kafka', 'bench']);
configureLogging({ level: isVerbose() ? 'debug' : LONG_RUNNING.has(commandName ?? '') ? 'info' : 'warn' });
// stdout carries command output only: whatever a library prints with console.log goes to stderr
console.log = console.error;
console.info = console.error;
console.debug = console.error;
const fatal = (e: unknown) => {
  printError(e);
  process.exit(exitCodeOf(e));
};
process.on('uncaughtException', fatal);
process.on('unhandledRejection', fatal);

const program = new Command();
program
  .name('streamlens')
  .description('Real-time streaming classifier: speech emotion, animal recognition and course records')
  .option('--verbose', 'debug logs, and stack traces with errors')
  .exitOverride()
  .version('0.1.0');

function busOptions(cmd: Command): Command {
  return cmd
    .addOption(new Option('--bus <kind>', 'message bus').choices(['embedded', 'kafka']))
    .option('--brokers <list>', 'Kafka brokers host:port,... (default: KAFKA_BROKERS or the local broker of `streamlens kafka start`)')
    .option('-c, --config <file>', 'streams config file (YAML or JSON)');
}

async function resolveConfig(opts: { bus?: string; brokers?: string; config?: string; port?: string; host?: string }): Promise<AppConfig> {
  const defaultFile = join(repoRoot, 'streamlens.config.yaml');
  const file = opts.config ?? (existsSync(defaultFile) ? defaultFile : undefined);
  const base = file ? loadConfigFile(file) : parseConfig({});
  const raw: AppConfig = structuredClone(base);
  if (opts.bus === 'kafka' || (opts.bus === undefined && opts.brokers)) {
    const { resolveBrokers } = await import('./bus/resolve-brokers.js');
    const namespace = base.bus.kind === 'kafka' ? base.bus.namespace : '';
    const client = base.bus.kind === 'kafka' ? base.bus.client : undefined;
    const auth = base.bus.kind === 'kafka' ? { ...(base.bus.sasl ? { sasl: base.bus.sasl } : {}), ...(base.bus.ssl !== undefined ? { ssl: base.bus.ssl } : {}) } : {};
    raw.bus = { kind: 'kafka', brokers: await resolveBrokers(opts.brokers), partitions: base.bus.partitions, namespace, ...(client ? { client } : {}), ...auth };
  } else if (opts.bus === 'embedded') {
    raw.bus = { kind: 'embedded', partitions: base.bus.partitions };
  }
  const namespace = envValue('STREAMLENS_KAFKA_NAMESPACE');
  if (raw.bus.kind === 'kafka' && namespace) raw.bus.namespace = namespace;
  const client = envValue('STREAMLENS_KAFKA_CLIENT');
  if (raw.bus.kind === 'kafka' && client) raw.bus.client = client;
  if (raw.bus.kind === 'kafka') {
    const mechanism = envValue('KAFKA_SASL_MECHANISM');
    const username = envValue('KAFKA_SASL_USERNAME');
    const password = envValue('KAFKA_SASL_PASSWORD');
    if (mechanism || username || password) {
      raw.bus.sasl = {
        mechanism: (mechanism?.toLowerCase() || raw.bus.sasl?.mechanism || 'plain') as 'plain', // validated by parseConfig below
        username: username ?? raw.bus.sasl?.username ?? '',
        password: password ?? raw.bus.sasl?.password ?? '',
      };
    }
    if (process.env.KAFKA_SSL?.trim()) raw.bus.ssl = envValue('KAFKA_SSL');
  }
  const port = envValue('PORT');
  const host = envValue('HOST');
  if (opts.port !== undefined || port) raw.gateway.port = Number(opts.port ?? port);
  if (opts.host !== undefined || host) raw.gateway.host = String(opts.host ?? host);
  const token = envValue('STREAMLENS_TOKEN');
  const metricsToken = envValue('STREAMLENS_METRICS_TOKEN');
  if (token) raw.gateway.token = token;
  if (metricsToken) raw.gateway.metricsToken = metricsToken;
  const { sourceDirsFromEnv } = await import('./core/source-paths.js');
  const sourceDirs = sourceDirsFromEnv();
  if (sourceDirs) raw.sources = { ...raw.sources, allowedDirs: sourceDirs };
  return parseConfig(raw, file ?? 'command-line settings');
}

/**
 * SIGINT / SIGTERM: drain in-flight work and stop, exit 0. Ctrl-C in a terminal signals the whole
 * process group and `npm start` forwards the signal too, so a second signal within a second of the
 * first is the same request; a later one forces the exit.
 */
function onSignals(stop: () => Promise<void>): void {
  let firstAt = 0;
  const handler = (sig: string) => {
    if (firstAt) {
      if (Date.now() - firstAt < 1000) return;
      process.stderr.write(`streamlens: ${sig} again: exiting without draining\n`);
      process.exit(1);
    }
    firstAt = Date.now();
    process.stderr.write(`\nstreamlens: ${sig}: draining in-flight work and stopping (press Ctrl-C again to force)\n`);
    stop().then(
      () => process.exit(0),
      (e) => {
        printError(e, 'error while stopping');
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => handler('SIGINT'));
  process.on('SIGTERM', () => handler('SIGTERM'));
}

busOptions(program.command('start'))
  .description('run every stage and the gateway in one process (the live demo)')
  .option('-p, --port <port>', 'HTTP port (default 8080, or PORT)')
  .option('--host <host>', 'bind address (default 127.0.0.1; other addresses need STREAMLENS_TOKEN)')
  .option('--no-demo', 'do not start the demo streams when the config has none')
  .option('--stages <list>', 'comma-separated stages to run in this process, "all" or "none" (gateway only)', 'all')
  .option('--courses <csv>', 'course CSV the recommendation catalogue is built from (default <data>/udemy/udemy_courses.csv)')
  .option('--catalogue <file>', 'keep the recommendation catalogue in this snapshot file (default: in memory only)')
  .option('--live-catalogue', 'add the courses of the live course streams to the recommendation catalogue')
  .action(async (opts) => {
    const config = await resolveConfig(opts);
    const { createApp } = await import('./app/app.js');
    const { STAGE_NAMES } = await import('./app/stages.js');
    const stages = opts.stages === 'all' ? [...STAGE_NAMES] : opts.stages === 'none' ? [] : String(opts.stages).split(',').map((s: string) => s.trim());
    for (const s of stages) if (!(STAGE_NAMES as readonly string[]).includes(s)) throw new UsageError(`--stages: unknown stage "${s}"; stages: ${STAGE_NAMES.join(', ')}`);
    const app = await createApp(config, { demo: opts.demo, stages, catalogue: { data: opts.courses, snapshot: opts.catalogue, live: opts.liveCatalogue === true } });
    await app.start();
    onSignals(() => app.stop());
  });

busOptions(program.command('worker'))
  .description('run one stage as its own process; copies share the topic partitions through a consumer group')
  .argument('<stage>', 'features:audio | features:image | features:course | inference:audio | inference:image | inference:course')
  .option('-p, --port <port>', 'port for /metrics and /healthz (default 0: a free port)')
  .action(async (stage: string, opts) => {
    const config = await resolveConfig({ ...opts, port: opts.port ?? '0' });
    const { runWorker } = await import('./app/app.js');
    const worker = await runWorker(config, stage);
    onSignals(() => worker.stop());
  });

const kafka = program.command('kafka').description('a local Apache Kafka broker (KRaft, no Docker), fetched from Maven Central');
kafka
  .command('fetch')
  .description('download the Kafka jars into the cache (idempotent)')
  .action(async () => {
    const { fetchKafka } = await import('./bus/kafka-broker.js');
    await fetchKafka();
  });
kafka
  .command('start')
  .description('start a broker on 127.0.0.1 and print its address')
  .option('--port <port>', 'listener port (default: a free port)')
  .action(async (opts) => {
    const { startKafka } = await import('./bus/kafka-broker.js');
    const b = await startKafka({ port: opts.port ? Number(opts.port) : undefined, detached: true });
    process.stdout.write(`${b.brokers.join(',')}\n`);
  });
kafka
  .command('stop')
  .description('stop the broker started by `streamlens kafka start`')
  .action(async () => {
    const { stopKafka } = await import('./bus/kafka-broker.js');
    await stopKafka();
  });
kafka
  .command('status')
  .description('print whether the local broker runs, and where')
  .action(async () => {
    const { kafkaStatus } = await import('./bus/kafka-broker.js');
    process.stdout.write(JSON.stringify(await kafkaStatus()) + '\n');
  });

const models = program.command('models').description('the model repository');
models
  .command('list')
  .description('models, versions, tasks and headline metrics')
  .option('--json', 'print JSON')
  .action(async (opts) => {
    const { describeRepository } = await import('./inference/describe-repository.js');
    const rows = describeRepository();
    if (opts.json) process.stdout.write(JSON.stringify(rows, null, 2) + '\n');
    else for (const r of rows) process.stdout.write(`${r.name}\tv${r.version}\t${r.task}\t${r.status}\t${r.headline}\n`);
  });

program
  .command('config')
  .description('validate a streams config file and print it with defaults filled in (credentials shown as ***)')
  .argument('<file>')
  .action(async (file: string) => {
    const { redactConfig } = await import('./core/config.js');
    process.stdout.write(JSON.stringify(redactConfig(loadConfigFile(file)), null, 2) + '\n');
  });

program
  .command('monitor')
  .description('compare a batch (folder of clips or photos, a course CSV) with the model\'s training reference; prints one JSON object')
  .argument('<media>', 'audio, image or course')
  .requiredOption('--data <path>', 'folder of WAV clips / images, or a course CSV')
  .option('--model <name[@version]>', 'model (default: emotion, animal or course)')
  .option('--out <dir>', 'also write monitor-report.html (reference vs batch charts) and monitor-report.json there')
  .action(async (media: string, opts: { data: string; model?: string; out?: string }) => {
    if (!['audio', 'image', 'course'].includes(media)) throw new UsageError(`monitor: media must be audio, image or course, got "${media}"`);
    const { runMonitor } = await import('./monitoring/command.js');
    const result = await runMonitor(media as 'audio' | 'image' | 'course', opts);
    process.stdout.write(JSON.stringify(result) + '\n');
  });

const BENCH_SUITES: Record<string, string> = {
  bus: 'bench/bus.ts',
  inference: 'bench/inference.ts',
  audio: 'bench/audio.ts',
  'audio-features': 'bench/audio-features.ts',
  vision: 'bench/vision.ts',
  'image-ood': 'bench/image-ood.ts',
  'image-conditions': 'bench/image-conditions.ts',
  'image-backbones': 'bench/image-backbones.ts',
  courses: 'bench/courses.ts',
  gateway: 'bench/gateway-load.ts',
  recommend: 'bench/recommend.ts',
  faults: 'bench/faults.ts',
  monitoring: 'bench/monitoring.ts',
  shadow: 'bench/shadow.ts',
  'voice-activity': 'bench/voice-activity.ts',
};
program
  .command('bench')
  .description(`run a benchmark suite and print JSON (${Object.keys(BENCH_SUITES).join(', ')})`)
  .argument('<suite>')
  .action(async (suite: string) => {
    const file = BENCH_SUITES[suite];
    if (!file) throw new UsageError(`unknown bench suite "${suite}"; choose one of ${Object.keys(BENCH_SUITES).join(', ')}`);
    const mod = (await import(pathToFileURL(runnableFile(file)).href)) as { run: () => Promise<unknown> };
    const result = await mod.run();
    process.stdout.write(JSON.stringify(result, null, 2) + '\n');
    process.exit(0);
  });

// Task commands (train, eval, classify, analyze, recommend) register themselves here.
const { registerTaskCommands } = await import('./cli/task-commands.js');
registerTaskCommands(program);

// Usage errors: commander's message (one line) and where to read the usage; exit code 2.
let usageOf = 'streamlens';
(function quietErrors(cmd: Command, path: string) {
  cmd.configureOutput({ outputError: () => (usageOf = path) });
  for (const sub of cmd.commands) quietErrors(sub, `${path} ${sub.name()}`);
})(program, 'streamlens');

try {
  await program.parseAsync(process.argv);
} catch (e) {
  if (e instanceof CommanderError) {
    // --help / --version, or help shown for a command group called without its subcommand
    if (e.exitCode === 0) process.exit(0);
    if (e.code === 'commander.help' || e.code === 'commander.helpDisplayed') process.exit(EXIT_USAGE);
    process.stderr.write(`streamlens: ${e.message.replace(/^error: /, '').replace(/\.$/, '')}; see \`${usageOf} --help\`\n`);
    process.exit(EXIT_USAGE);
  }
  printError(e);
  process.exit(exitCodeOf(e));
}
