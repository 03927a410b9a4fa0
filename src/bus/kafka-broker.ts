/**
 * A local Apache Kafka broker (KRaft, one node acting as broker and controller), without Docker.
 *
 * - `fetchKafka()` resolves the broker jars from Maven Central with `mvn` (scripts/kafka/pom.xml)
 *   into `cacheRoot()/kafka/kafka-<version>/libs`; idempotent and instant once cached.
 * - `startKafka()` writes server.properties, formats the storage and starts `kafka.Kafka` with
 *   java; it resolves once a kafkajs admin can list topics and the group coordinator answers.
 *   Owned brokers (the default) die with this process; `detached: true` brokers outlive it and
 *   are recorded in a state file so `stopKafka()` / `kafkaStatus()` work from another process.
 *
 * CLI: `npx tsx src/bus/kafka-broker.ts fetch|start|stop|status`.
 */
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Kafka, logLevel } from 'kafkajs';
import { cacheRoot, repoRoot } from '../core/paths.js';
import { envValue } from '../core/environment.js';

/** Newest 3.9.x on Maven Central (the last line kafkajs' protocol versions work with). */
export const KAFKA_VERSION = '3.9.2';
/** Broker record limit: the bus's 8 MiB values plus room for key, headers and batch overhead. */
export const BROKER_MESSAGE_MAX_BYTES = 8 * 1024 * 1024 + 512 * 1024;

export type ProgressLog = (line: string) => void;
const defaultLog: ProgressLog = (line) => process.stderr.write(`[kafka] ${line}\n`);

export interface KafkaHandle {
  /** host:port of the PLAINTEXT listener, for kafkajs / KAFKA_BROKERS. */
  brokers: string[];
  pid: number;
  logFile: string;
  dataDir: string;
  /** True when startKafka() found a detached broker already running and returned it. */
  alreadyRunning: boolean;
  /** Stops the broker (SIGTERM, then SIGKILL after a grace period) and removes a temporary data dir. */
  stop(): Promise<void>;
}

export interface StartKafkaOptions {
  /** PLAINTEXT port; default: a free port (9092 for detached brokers when free). */
  port?: number;
  controllerPort?: number;
  /** Log directory. Default: a fresh temp dir removed on stop (detached: cacheRoot()/kafka/data, kept). */
  dataDir?: string;
  heapMb?: number;
  /** Outlive this process (the CLI's `kafka start`); recorded for stopKafka()/kafkaStatus(). */
  detached?: boolean;
  startTimeoutMs?: number;
  log?: ProgressLog;
}

export interface KafkaStatus {
  running: boolean;
  /** The broker answers on its port. */
  reachable: boolean;
  pid?: number;
  brokers?: string[];
  dataDir?: string;
  logFile?: string;
  startedAt?: string;
  version: string;
  jarsCached: boolean;
  libDir: string;
}

interface DetachedState {
  pid: number;
  brokers: string[];
  port: number;
  controllerPort: number;
  dataDir: string;
  logFile: string;
  startedAt: string;
  version: string;
}

interface OwnedRecord {
  pid: number;
  ownerPid: number;
  baseDir: string;
  removeDir: boolean;
}

// ---- paths ----------------------------------------------------------------------------------

export function kafkaCacheDir(): string {
  return join(cacheRoot(), 'kafka');
}
export function kafkaLibDir(): string {
  return join(kafkaCacheDir(), `kafka-${KAFKA_VERSION}`, 'libs');
}
const markerFile = () => join(kafkaLibDir(), '.complete');
const runDir = () => join(kafkaCacheDir(), 'run');
const stateFile = () => join(runDir(), 'broker.json');
const ownedDir = () => join(runDir(), 'owned');
const pomFile = () => join(repoRoot, 'scripts', 'kafka', 'pom.xml');

// ---- fetch ----------------------------------------------------------------------------------

export function kafkaJarsCached(): boolean {
  if (!existsSync(markerFile())) return false;
  try {
    const m = JSON.parse(readFileSync(markerFile(), 'utf8')) as { version?: string };
    return m.version === KAFKA_VERSION;
  } catch {
    return false;
  }
}

/** Downloads the broker and its runtime dependencies with Maven (once; later calls return at once). */
export async function fetchKafka(options: { log?: ProgressLog; force?: boolean } = {}): Promise<{ libDir: string; jars: number; cached: boolean }> {
  const log = options.log ?? defaultLog;
  const libDir = kafkaLibDir();
  if (!options.force && kafkaJarsCached()) {
    return { libDir, jars: listJars(libDir).length, cached: true };
  }
  requireTool('mvn', ['-v'], 'Maven (mvn) is needed to fetch the Kafka jars: install it (apt-get install maven)');
  log(`fetching Apache Kafka ${KAFKA_VERSION} jars from Maven Central into ${libDir} ...`);
  const partial = `${libDir}.partial-${process.pid}`;
  rmSync(partial, { recursive: true, force: true });
  mkdirSync(partial, { recursive: true });
  const started = Date.now();
  await runCommand('mvn', [
    '-q',
    '-B',
    '-f',
    pomFile(),
    `-Dkafka.version=${KAFKA_VERSION}`,
    'dependency:copy-dependencies',
    '-DincludeScope=runtime',
    `-DoutputDirectory=${partial}`,
  ]);
  const jars = listJars(partial);
  if (!jars.some((j) => j.startsWith(`kafka_2.13-${KAFKA_VERSION}`))) {
    throw new Error(`Maven finished but kafka_2.13-${KAFKA_VERSION}.jar is missing from ${partial}`);
  }
  writeFileSync(join(partial, '.complete'), JSON.stringify({ version: KAFKA_VERSION, jars: jars.length, at: new Date().toISOString() }));
  rmSync(libDir, { recursive: true, force: true });
  try {
    renameSync(partial, libDir);
  } catch (e) {
    // Another process finished the same fetch first.
    rmSync(partial, { recursive: true, force: true });
    if (!kafkaJarsCached()) throw e;
  }
  log(`fetched ${jars.length} jars in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return { libDir, jars: jars.length, cached: false };
}

function listJars(dir: string): string[] {
  return existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.jar')) : [];
}

// ---- start / stop ---------------------------------------------------------------------------

function javaBinary(): string {
  const home = envValue('JAVA_HOME');
  return home ? join(home, 'bin', 'java') : 'java';
}

/** Starts a broker and resolves once clients can use it. */
export async function startKafka(options: StartKafkaOptions = {}): Promise<KafkaHandle> {
  const log = options.log ?? defaultLog;
  const detached = options.detached ?? false;
  reapOrphans(log);
  if (detached) {
    const existing = readState();
    if (existing && isAlive(existing.pid) && (await portOpen(existing.port))) {
      log(`already running: pid ${existing.pid}, brokers ${existing.brokers.join(',')}`);
      return handleForDetached(existing, true, log);
    }
    if (existing) rmSync(stateFile(), { force: true });
  }
  await fetchKafka({ log });
  requireTool(javaBinary(), ['-version'], 'Java 17+ is needed to run the Kafka broker: install it (apt-get install openjdk-17-jre-headless) or set JAVA_HOME');

  const port = options.port ?? (detached && (await portFree(9092)) ? 9092 : await freePort());
  const controllerPort = options.controllerPort ?? (detached && (await portFree(9093)) ? 9093 : await freePort());
  const baseDir = detached ? runDir() : mkdtempSync(join(tmpdir(), 'streamlens-kafka-'));
  mkdirSync(baseDir, { recursive: true });
  const dataDir = options.dataDir ?? (detached ? join(kafkaCacheDir(), 'data') : join(baseDir, 'data'));
  const removeDataOnStop = !detached && options.dataDir === undefined;
  const configFile = join(baseDir, 'server.properties');
  const log4jFile = join(baseDir, 'log4j.properties');
  const logFile = join(baseDir, 'broker.log');
  writeFileSync(configFile, serverProperties({ port, controllerPort, dataDir }));
  writeFileSync(log4jFile, LOG4J_PROPERTIES);

  const classpath = `${kafkaLibDir()}/*`;
  const log4jArg = `-Dlog4j.configuration=${pathToFileURL(log4jFile).href}`;
  if (!existsSync(join(dataDir, 'meta.properties'))) {
    mkdirSync(dataDir, { recursive: true });
    try {
      await formatStorage(dataDir, configFile, classpath, log4jArg, log);
    } catch (e) {
      if (removeDataOnStop) rmSync(baseDir, { recursive: true, force: true });
      throw e;
    }
  }

  const heap = options.heapMb ?? 512;
  const jvmArgs = [
    `-Xmx${heap}m`,
    `-Xms${Math.min(heap, 128)}m`,
    '-XX:+UseG1GC',
    '-XX:MaxGCPauseMillis=20',
    '-XX:+ExitOnOutOfMemoryError',
    '-Djava.awt.headless=true',
    log4jArg,
    '-cp',
    classpath,
    'kafka.Kafka',
    configFile,
  ];
  log(`starting broker ${KAFKA_VERSION} on 127.0.0.1:${port} (controller ${controllerPort}), log ${logFile}`);
  const out = openSync(logFile, 'a');
  const spawnedAt = Date.now();
  const child = spawn(javaBinary(), jvmArgs, { stdio: ['ignore', out, out], detached });
  closeSync(out);
  if (child.pid === undefined) throw new Error(`could not start java (${javaBinary()})`);
  const pid = child.pid;
  let exited: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  const exitedP = new Promise<void>((resolve) =>
    child.once('exit', (code, signal) => {
      exited = { code, signal };
      resolve();
    }),
  );
  const brokers = [`127.0.0.1:${port}`];

  let ownedRecordFile: string | undefined;
  let killOnExit: (() => void) | undefined;
  if (detached) {
    child.unref();
  } else {
    mkdirSync(ownedDir(), { recursive: true });
    ownedRecordFile = join(ownedDir(), `${pid}.json`);
    const rec: OwnedRecord = { pid, ownerPid: process.pid, baseDir, removeDir: removeDataOnStop };
    writeFileSync(ownedRecordFile, JSON.stringify(rec));
    killOnExit = () => {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        /* already gone */
      }
    };
    process.once('exit', killOnExit);
  }

  const stopOwned = async () => {
    if (killOnExit) process.removeListener('exit', killOnExit);
    if (!exited) {
      log(`stopping broker (pid ${pid})`);
      await terminate(pid, () => exited !== undefined, exitedP);
    }
    if (ownedRecordFile) rmSync(ownedRecordFile, { force: true });
    if (removeDataOnStop) rmSync(baseDir, { recursive: true, force: true });
  };

  try {
    await waitUntilReady(brokers, options.startTimeoutMs ?? 90_000, () => exited, logFile, exitedP);
  } catch (e) {
    await stopOwned().catch(() => undefined);
    if (detached) rmSync(stateFile(), { force: true });
    throw e;
  }
  log(`broker ready at ${brokers[0]} (pid ${pid}) after ${((Date.now() - spawnedAt) / 1000).toFixed(1)} s`);

  if (detached) {
    const state: DetachedState = { pid, brokers, port, controllerPort, dataDir, logFile, startedAt: new Date().toISOString(), version: KAFKA_VERSION };
    mkdirSync(runDir(), { recursive: true });
    writeFileSync(stateFile(), JSON.stringify(state, null, 2));
    return handleForDetached(state, false, log);
  }
  let stopping: Promise<void> | undefined;
  return {
    brokers,
    pid,
    logFile,
    dataDir,
    alreadyRunning: false,
    stop: () => (stopping ??= stopOwned()),
  };
}

function handleForDetached(state: DetachedState, alreadyRunning: boolean, log: ProgressLog): KafkaHandle {
  return {
    brokers: state.brokers,
    pid: state.pid,
    logFile: state.logFile,
    dataDir: state.dataDir,
    alreadyRunning,
    stop: async () => {
      await stopKafka({ log });
    },
  };
}

/** Stops the detached broker recorded in the state file; false when none was running. */
export async function stopKafka(options: { log?: ProgressLog } = {}): Promise<boolean> {
  const log = options.log ?? defaultLog;
  const state = readState();
  if (!state) {
    log('no broker is recorded as running');
    return false;
  }
  if (!isAlive(state.pid) || !isKafkaProcess(state.pid)) {
    log(`broker pid ${state.pid} is not running; clearing its state`);
    rmSync(stateFile(), { force: true });
    return false;
  }
  log(`stopping broker (pid ${state.pid})`);
  await terminate(state.pid, () => !isAlive(state.pid));
  rmSync(stateFile(), { force: true });
  log('broker stopped');
  return true;
}

/** What is known about the detached broker and the jar cache. */
export async function kafkaStatus(): Promise<KafkaStatus> {
  const state = readState();
  const base = { version: KAFKA_VERSION, jarsCached: kafkaJarsCached(), libDir: kafkaLibDir() };
  if (!state) return { ...base, running: false, reachable: false };
  const running = isAlive(state.pid) && isKafkaProcess(state.pid);
  return {
    ...base,
    running,
    reachable: running && (await portOpen(state.port)),
    pid: state.pid,
    brokers: state.brokers,
    dataDir: state.dataDir,
    logFile: state.logFile,
    startedAt: state.startedAt,
  };
}

// ---- helpers --------------------------------------------------------------------------------

async function formatStorage(dataDir: string, configFile: string, classpath: string, log4jArg: string, log: ProgressLog): Promise<void> {
  const clusterId = newClusterId();
  log(`formatting storage in ${dataDir} (cluster ${clusterId})`);
  const t0 = Date.now();
  // A short-lived JVM: C1 only and the serial GC start fastest.
  await runCommand(javaBinary(), [
    '-Xmx256m',
    '-XX:TieredStopAtLevel=1',
    '-XX:+UseSerialGC',
    log4jArg,
    '-cp',
    classpath,
    'kafka.tools.StorageTool',
    'format',
    `--cluster-id=${clusterId}`,
    `--config=${configFile}`,
    '--ignore-formatted',
  ]);
  log(`formatted in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
}

/** A Kafka cluster id (base64url of 16 random bytes), never starting with '-' (it would read as an option). */
function newClusterId(): string {
  for (;;) {
    const id = randomBytes(16).toString('base64url');
    if (!id.startsWith('-')) return id;
  }
}

function serverProperties(p: { port: number; controllerPort: number; dataDir: string }): string {
  return [
    '# Written by streamlens (src/bus/kafka-broker.ts): single-node KRaft broker for development and tests.',
    'process.roles=broker,controller',
    'node.id=1',
    `controller.quorum.voters=1@127.0.0.1:${p.controllerPort}`,
    `listeners=PLAINTEXT://127.0.0.1:${p.port},CONTROLLER://127.0.0.1:${p.controllerPort}`,
    `advertised.listeners=PLAINTEXT://127.0.0.1:${p.port}`,
    'controller.listener.names=CONTROLLER',
    'inter.broker.listener.name=PLAINTEXT',
    'listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
    `log.dirs=${p.dataDir}`,
    'num.partitions=4',
    'default.replication.factor=1',
    'min.insync.replicas=1',
    'offsets.topic.replication.factor=1',
    'offsets.topic.num.partitions=4',
    'transaction.state.log.replication.factor=1',
    'transaction.state.log.min.isr=1',
    'transaction.state.log.num.partitions=4',
    'group.initial.rebalance.delay.ms=0',
    'auto.create.topics.enable=true',
    `message.max.bytes=${BROKER_MESSAGE_MAX_BYTES}`,
    `replica.fetch.max.bytes=${BROKER_MESSAGE_MAX_BYTES}`,
    // A 2-core machine shared with the tests: few threads.
    'num.network.threads=2',
    'num.io.threads=2',
    'background.threads=2',
    'num.recovery.threads.per.data.dir=1',
    'log.retention.hours=24',
    'log.segment.bytes=134217728',
    '',
  ].join('\n');
}

const LOG4J_PROPERTIES = [
  'log4j.rootLogger=WARN, stdout',
  'log4j.appender.stdout=org.apache.log4j.ConsoleAppender',
  'log4j.appender.stdout.layout=org.apache.log4j.PatternLayout',
  'log4j.appender.stdout.layout.ConversionPattern=[%d] %p %m (%c)%n',
  'log4j.logger.kafka.server.KafkaRaftServer=INFO',
  'log4j.logger.kafka.Kafka$=INFO',
  '',
].join('\n');

async function waitUntilReady(
  brokers: string[],
  timeoutMs: number,
  exited: () => { code: number | null; signal: NodeJS.Signals | null } | undefined,
  logFile: string,
  exitedP: Promise<void>,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const port = Number(brokers[0].split(':')[1]);
  const failIfExited = () => {
    const e = exited();
    if (e) throw new Error(`the Kafka broker exited during start (code ${e.code}, signal ${e.signal}). Last log lines (${logFile}):\n${tail(logFile, 30)}`);
  };
  while (!(await portOpen(port))) {
    failIfExited();
    if (Date.now() > deadline) throw new Error(`the Kafka broker did not open port ${port} within ${timeoutMs} ms; see ${logFile}`);
    await Promise.race([sleep(200), exitedP]);
  }
  const kafka = new Kafka({ clientId: 'streamlens-readiness', brokers, logLevel: logLevel.NOTHING, retry: { retries: 0 } });
  const admin = kafka.admin();
  let lastError: unknown;
  try {
    while (Date.now() < deadline) {
      failIfExited();
      try {
        await admin.connect();
        await admin.listTopics();
        // Brings up the group coordinator (creates __consumer_offsets) so the first group join is quick.
        await admin.describeGroups(['streamlens-readiness']);
        return;
      } catch (e) {
        lastError = e;
        await Promise.race([sleep(250), exitedP]);
      }
    }
    failIfExited();
    throw new Error(`the Kafka broker on ${brokers[0]} did not become ready within ${timeoutMs} ms (${(lastError as Error)?.message}); see ${logFile}`);
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

async function terminate(pid: number, gone: () => boolean, exitedP?: Promise<void>, graceMs = 20_000): Promise<void> {
  try {
    process.kill(pid, 'SIGTERM');
  } catch {
    return;
  }
  const deadline = Date.now() + graceMs;
  while (!gone() && Date.now() < deadline) await Promise.race([sleep(100), exitedP ?? sleep(100)]);
  if (!gone()) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* gone meanwhile */
    }
    const killDeadline = Date.now() + 5_000;
    while (!gone() && Date.now() < killDeadline) await sleep(50);
  }
}

/** Kills owned brokers whose owning process died without stopping them (e.g. a killed test run). */
function reapOrphans(log: ProgressLog): void {
  if (!existsSync(ownedDir())) return;
  for (const f of readdirSync(ownedDir())) {
    const file = join(ownedDir(), f);
    let rec: OwnedRecord;
    try {
      rec = JSON.parse(readFileSync(file, 'utf8')) as OwnedRecord;
    } catch {
      rmSync(file, { force: true });
      continue;
    }
    if (isAlive(rec.ownerPid)) continue;
    if (isAlive(rec.pid) && isKafkaProcess(rec.pid)) {
      log(`killing orphaned broker pid ${rec.pid} (its owner ${rec.ownerPid} is gone)`);
      try {
        process.kill(rec.pid, 'SIGKILL');
      } catch {
        /* gone meanwhile */
      }
    }
    if (rec.removeDir) rmSync(rec.baseDir, { recursive: true, force: true });
    rmSync(file, { force: true });
  }
}

function readState(): DetachedState | undefined {
  try {
    return JSON.parse(readFileSync(stateFile(), 'utf8')) as DetachedState;
  } catch {
    return undefined;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Guards against a recycled pid: the process must be a java running kafka.Kafka. */
function isKafkaProcess(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('kafka.Kafka');
  } catch {
    return process.platform !== 'linux'; // no /proc: trust the pid
  }
}

function portOpen(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ port, host });
    const done = (ok: boolean) => {
      s.destroy();
      resolve(ok);
    };
    s.setTimeout(1000, () => done(false));
    s.once('connect', () => done(true));
    s.once('error', () => done(false));
  });
}

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

function requireTool(cmd: string, args: string[], message: string): void {
  try {
    execFileSync(cmd, args, { stdio: 'ignore' });
  } catch {
    throw new Error(message);
  }
}

function runCommand(cmd: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const keep = (b: Buffer) => {
      output = (output + b.toString()).slice(-8000);
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    child.once('error', (e) => reject(new Error(`could not run ${cmd}: ${e.message}`)));
    child.once('exit', (code) => {
      if (code === 0) resolve();
      else reject(new Error(`${cmd} ${args.slice(0, 6).join(' ')} ... failed with exit code ${code}:\n${output.trim()}`));
    });
  });
}

function tail(file: string, lines: number): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

// ---- command line ---------------------------------------------------------------------------

async function main(argv: string[]): Promise<number> {
  const cmd = argv[0];
  switch (cmd) {
    case 'fetch': {
      const r = await fetchKafka();
      defaultLog(`${r.cached ? 'cached' : 'fetched'}: ${r.jars} jars in ${r.libDir}`);
      return 0;
    }
    case 'start': {
      const h = await startKafka({ detached: true });
      process.stdout.write(`${h.brokers.join(',')}\n`);
      defaultLog(`use it with KAFKA_BROKERS=${h.brokers.join(',')}; stop it with: streamlens kafka stop`);
      return 0;
    }
    case 'stop':
      await stopKafka();
      return 0;
    case 'status':
      process.stdout.write(`${JSON.stringify(await kafkaStatus(), null, 2)}\n`);
      return 0;
    default:
      process.stderr.write('usage: npx tsx src/bus/kafka-broker.ts fetch|start|stop|status\n');
      return 2;
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (e: Error) => {
      process.stderr.write(`[kafka] error: ${e.message}\n`);
      process.exit(1);
    },
  );
}
