/**
 * Speech pipeline benchmark, one JSON object on stdout:
 *  - feature extraction speed of the shipped emotion model's settings in x real time on one core
 *    (batch `extractFile` and the live path in 100 ms chunks), on real RAVDESS audio decoded by the
 *    ffmpeg ingest; with BENCH_AUDIO_FEATURES_FULL=1 also bench/audio-features.ts (several settings and a
 *    naive baseline);
 *  - end-to-end latency from chunk capture to prediction (p50/p99) with 1, 10 and 50 concurrent live
 *    streams paced in real time through publishAudioSource -> features:audio -> inference:audio on the
 *    embedded bus (Kafka when KAFKA_BROKERS is set). Capture time = when the 100 ms chunk is handed to
 *    the publisher; a window's latency counts from the capture of the chunk that completed it (the 2 s
 *    window itself is inherent buffering and is not included).
 *
 *   npx tsx bench/audio.ts          (BENCH_AUDIO_E2E_SECONDS, default 12 s per stream count)
 */
import { cpus, loadavg } from 'node:os';
import { benchBuses, scenarioBus } from './scenario-bus.js';
import { decodeMessage } from '../src/bus/envelope.js';
import { StageRunner } from '../src/bus/stage-runner.js';
import { TOPICS } from '../src/bus/topics.js';
import { parseAudioFeatureSettings, type AudioFeatureSettingsInput } from '../src/features/audio/settings.js';
import { audioFeaturesStageForModel } from '../src/features/audio/stage.js';
import { extractFile, StreamingFeatureExtractor } from '../src/features/audio/streaming-extractor.js';
import { decodeAudioFile } from '../src/ingest/audio-file-source.js';
import type { AudioChunk, AudioSource } from '../src/ingest/audio-chunk.js';
import { publishAudioSource } from '../src/ingest/publish-audio.js';
import { loadClassifier } from '../src/inference/classifier-loader.js';
import { ClassifierPool } from '../src/inference/classifier-pool.js';
import { resolveModel } from '../src/models/model-repository.js';
import { tensorInferenceStage } from '../src/inference/stage.js';
import { scanSpeechDataset } from '../src/training/speech/datasets.js';
import { dataRoot } from '../src/core/paths.js';
import { join } from 'node:path';
import { runIfExecutedDirectly } from './run-directly.js';

const r2 = (x: number) => Math.round(x * 100) / 100;
function percentile(sorted: number[], q: number): number | null {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

/** A live stream replaying PCM in 100 ms chunks paced by the wall clock. */
function replayLive(pcm: Int16Array, seconds: number, offsetMs: number): AudioSource {
  let closed = false;
  return {
    kind: 'live',
    realtime: true,
    description: 'replayed microphone',
    async *[Symbol.asyncIterator](): AsyncIterator<AudioChunk> {
      const t0 = Date.now() + offsetMs;
      const chunks = seconds * 10;
      for (let seq = 0; seq < chunks && !closed; seq++) {
        const due = t0 + (seq + 1) * 100 - Date.now();
        if (due > 0) await new Promise((r) => setTimeout(r, due));
        const at = (seq * 1600) % (pcm.length - 1600);
        yield { pcm: pcm.slice(at, at + 1600), startSec: seq * 0.1, seq, capturedAt: Date.now() };
      }
    },
    async close() {
      closed = true;
    },
  };
}

function cpuTimed(fn: () => void): number {
  const c0 = process.cpuUsage();
  fn();
  const c = process.cpuUsage(c0);
  return (c.user + c.system) / 1000;
}

export async function run(): Promise<object> {
  const e2eSeconds = Number(process.env.BENCH_AUDIO_E2E_SECONDS ?? 12);
  const version = resolveModel('emotion');
  const settings = parseAudioFeatureSettings(version.manifest.features.settings as AudioFeatureSettingsInput);
  const { clips } = scanSpeechDataset(join(dataRoot(), 'ravdess'));
  const picks = clips.filter((_, i) => i % 60 === 0).slice(0, 16);
  const parts = await Promise.all(picks.map((c) => decodeAudioFile(c.path)));
  const pcm = new Int16Array(parts.reduce((a, p) => a + p.length, 0));
  parts.reduce((o, p) => (pcm.set(p, o), o + p.length), 0);
  const audioSeconds = pcm.length / 16000;

  process.stderr.write(`[bench:audio] feature extraction on ${audioSeconds.toFixed(1)} s of real speech\n`);
  extractFile(pcm.subarray(0, 16000 * 5), settings);
  const batchMs = Math.min(...[0, 1, 2].map(() => cpuTimed(() => extractFile(pcm, settings))));
  const streamMs = Math.min(
    ...[0, 1, 2].map(() =>
      cpuTimed(() => {
        const x = new StreamingFeatureExtractor(settings);
        for (let at = 0; at < pcm.length; at += 1600) x.push(pcm.subarray(at, at + 1600));
        x.flush();
      }),
    ),
  );
  let featuresBench: object | undefined;
  if (process.env.BENCH_AUDIO_FEATURES_FULL === '1') featuresBench = await (await import('./audio-features.js')).run();

  const endToEnd: Record<string, unknown>[] = [];
  const counts = (process.env.BENCH_AUDIO_STREAMS ?? '1,10,50').split(',').map(Number);
  for (const busKind of benchBuses())
  for (const count of counts) {
    process.stderr.write(`[bench:audio] end to end on ${busKind}, ${count} live streams, ${e2eSeconds} s\n`);
    const scenario = scenarioBus(`audio-${count}`, busKind);
    const bus = scenario.bus;
    const pool = new ClassifierPool(loadClassifier, { maxBatchSize: 64, maxWaitMs: 5, reloadIntervalMs: 0 });
    const features = new StageRunner(bus, audioFeaturesStageForModel('emotion'));
    const inference = new StageRunner(bus, tensorInferenceStage('audio', pool, { fallback: { model: 'emotion' } }));
    const latencies: number[] = [];
    const featureMs: number[] = [];
    let predictions = 0;
    // The reader subscribes before any stage has produced a prediction: the topic must exist (Kafka).
    await bus.ensureTopics([{ name: TOPICS.predictions, partitions: 4 }]);
    const reader = bus.consumer({ groupId: `bench-audio-${count}-${Date.now()}`, topics: [TOPICS.predictions], fromBeginning: false });
    await features.start();
    await inference.start();
    await reader.run(async (batch) => {
      const now = Date.now();
      for (const m of batch.messages) {
        const msg = decodeMessage(m.value);
        if (msg.type !== 'prediction') continue;
        predictions++;
        latencies.push(now - msg.env.capturedAt);
        const f = msg.env.stageTimes?.['features:audio'];
        if (f !== undefined) featureMs.push(f);
      }
    });
    await pool.server('emotion');
    const summaries = await Promise.all(
      Array.from({ length: count }, (_, i) => publishAudioSource(bus, `mic-${i}`, replayLive(pcm.subarray(((i * 7919) % 50) * 16000), e2eSeconds, (i * 100) / count))),
    );
    const expectedWindows = count * (Math.floor((e2eSeconds - settings.windowSeconds) / settings.windowHopSeconds) + 1);
    const deadline = Date.now() + 30_000;
    while (predictions < expectedWindows && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    await reader.stop();
    await features.stop();
    await inference.stop();
    await pool.close();
    await scenario.close();
    latencies.sort((a, b) => a - b);
    featureMs.sort((a, b) => a - b);
    endToEnd.push({
      bus: busKind,
      streams: count,
      audioSecondsPerStream: e2eSeconds,
      chunksPublished: summaries.reduce((a, s) => a + s.chunks, 0),
      chunksDropped: summaries.reduce((a, s) => a + s.dropped, 0),
      predictions,
      expectedPredictions: expectedWindows,
      latencyMs: { p50: percentile(latencies, 0.5), p99: percentile(latencies, 0.99), max: latencies.at(-1) ?? null },
      featuresStageMsPerChunk: { p50: percentile(featureMs, 0.5), p99: percentile(featureMs, 0.99) },
    });
  }

  return {
    suite: 'audio',
    model: { name: 'emotion', version: version.manifest.version, input: version.manifest.inputs[0].shape, kind: (version.manifest.training as { model?: string }).model },
    buses: benchBuses(),
    machine: { cpus: cpus().length, loadavg: loadavg().map(r2), note: 'shared machine: other jobs run at the same time; extraction rates are single-threaded CPU time' },
    featureExtraction: {
      settings: `${settings.nMels} log-mel, ${settings.frameLength}/${settings.hopLength} samples frame/hop, ${settings.windowSeconds} s windows every ${settings.windowHopSeconds} s`,
      audioSeconds: r2(audioSeconds),
      batchXRealTimePerCore: r2((audioSeconds * 1000) / batchMs),
      streaming100msChunksXRealTimePerCore: r2((audioSeconds * 1000) / streamMs),
      ...(featuresBench ? { audioFeaturesBench: featuresBench } : {}),
    },
    endToEnd,
  };
}

runIfExecutedDirectly(import.meta.url, run);
