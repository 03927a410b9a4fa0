/**
 * Cost of a shadow version on the served path of inference:audio, one process:
 *
 *   npx tsx bench/shadow.ts          (or: npm run bench -- shadow)
 *
 * The stage serves the shipped emotion model to 4,096 held-out RAVDESS windows (batches of 64, the
 * stage's maxBatchSize; no companion model), once without a shadow and once with the same version as
 * its shadow (the worst case of a shadow of the same size: every item scored twice). Measured:
 *  - saturated: batches back to back; served throughput (until the last batch's answers are handed
 *    back) and total time until the shadow has caught up;
 *  - paced: one batch every 2x its unshadowed time (the stage about half busy); p50 / p99 of the
 *    time each batch takes to be answered — what users wait for.
 * Runs alternate without / with the shadow (5 saturated rounds: the best of each is kept; 3 paced
 * rounds: quantiles over all their batches). Under saturation the shadow only runs in the gaps between
 * served batches and sheds the rest (skipped, busy).
 */
import { cpus, loadavg } from 'node:os';
import type { Message } from '../src/bus/envelope.js';
import type { StageInput } from '../src/bus/stage-runner.js';
import { extractFile, loadWavFile, parseAudioFeatureSettings, type AudioFeatureSettingsInput } from '../src/features/audio/index.js';
import { loadClassifier } from '../src/inference/classifier-loader.js';
import { ClassifierPool } from '../src/inference/classifier-pool.js';
import { featureKeyOf } from '../src/models/manifest.js';
import { resolveModel } from '../src/models/model-repository.js';
import { ShadowQueue } from '../src/inference/shadow-queue.js';
import { tensorInferenceStage } from '../src/inference/stage.js';
import { ShadowAgreement, shadowMetrics } from '../src/monitoring/shadow-agreement.js';
import { shippedSplits } from '../src/monitoring/shipped.js';
import { quantile } from '../src/analysis/descriptive.js';
import { runIfExecutedDirectly } from './run-directly.js';

const ITEMS = 4096;
const BATCH = 64;

export async function run(): Promise<object> {
  const v = resolveModel('emotion');
  const s = parseAudioFeatureSettings(v.manifest.features.settings as AudioFeatureSettingsInput);
  const featureKey = featureKeyOf(v.manifest.features);
  const windows: { features: Float32Array; framesPerWindow: number; nFeatures: number; startSec: number; endSec: number }[] = [];
  for (const f of shippedSplits(v).heldOut as string[]) {
    for (const w of extractFile(loadWavFile(f).pcm, s)) if (w.speech) windows.push(w);
    if (windows.length >= 512) break;
  }
  const messages: Message[] = Array.from({ length: ITEMS }, (_, seq) => {
    const w = windows[seq % windows.length];
    return { type: 'audio.window', env: { streamId: 'bench', seq, capturedAt: Date.now(), route: { model: v.manifest.name } }, meta: { shape: [w.framesPerWindow, w.nFeatures], startSec: w.startSec, endSec: w.endSec, speech: true, featureKey }, data: w.features };
  });
  const batches: StageInput[][] = [];
  for (let i = 0; i < ITEMS; i += BATCH) batches.push(messages.slice(i, i + BATCH).map((message) => ({ message, source: { timestamp: Date.now() } as StageInput['source'] })));

  const options = { maxBatchSize: BATCH, maxWaitMs: 2, reloadIntervalMs: 0 };
  const pool = new ClassifierPool(loadClassifier, options);
  const shadowPool = new ClassifierPool(loadClassifier, options);
  const agreement = new ShadowAgreement();
  const queue = new ShadowQueue(1024);
  const plain = tensorInferenceStage('audio', pool, { fallback: { model: v.manifest.name, companions: [] } });
  const shadowed = tensorInferenceStage('audio', pool, { fallback: { model: v.manifest.name, companions: [] } }, { versions: { [v.manifest.name]: v.manifest.version }, pool: shadowPool, queue, agreement });
  // Warm both models and their batchers.
  await plain.process(batches[0]);
  await shadowed.process(batches[0]);
  await queue.idle();

  // Rounds alternate without / with the shadow, so load from other processes hits both alike.
  const ROUNDS = 5;
  const saturatedRound = async (stage: typeof plain) => {
    const t0 = performance.now();
    for (const b of batches) await stage.process(b);
    const served = performance.now() - t0;
    await queue.idle();
    return { served, caughtUp: performance.now() - t0 };
  };
  const sat = { plain: [] as { served: number; caughtUp: number }[], shadow: [] as { served: number; caughtUp: number }[] };
  for (let r = 0; r < ROUNDS; r++) {
    sat.plain.push(await saturatedRound(plain));
    sat.shadow.push(await saturatedRound(shadowed));
  }
  const rate = (ms: number) => Math.round((ITEMS * 1000) / ms);
  const best = (xs: { served: number; caughtUp: number }[]) => ({ servedItemsPerSec: rate(Math.min(...xs.map((x) => x.served))), untilShadowCaughtUpItemsPerSec: rate(Math.min(...xs.map((x) => x.caughtUp))) });
  const plainSat = best(sat.plain);
  const shadowSat = best(sat.shadow);

  const batchMs = ((ITEMS / plainSat.servedItemsPerSec) * 1000) / batches.length;
  const pacedRound = async (stage: typeof plain, into: number[]) => {
    for (const b of batches) {
      const t0 = performance.now();
      await stage.process(b);
      const dt = performance.now() - t0;
      into.push(dt);
      await new Promise((res) => setTimeout(res, Math.max(0, 2 * batchMs - dt)));
    }
    await queue.idle();
  };
  const pacedTimes = { plain: [] as number[], shadow: [] as number[] };
  for (let r = 0; r < 3; r++) {
    await pacedRound(plain, pacedTimes.plain);
    await pacedRound(shadowed, pacedTimes.shadow);
  }
  const q = (xs: number[]) => ({ batchMsP50: +quantile(xs, 0.5).toFixed(3), batchMsP99: +quantile(xs, 0.99).toFixed(3) });
  const plainPaced = q(pacedTimes.plain);
  const shadowPaced = q(pacedTimes.shadow);
  const skipped = (await shadowMetrics.skipped.get()).values.filter((x) => x.labels.model === v.manifest.name).reduce((a, x) => a + x.value, 0);
  const [summary] = agreement.snapshot();
  await pool.close();
  await shadowPool.close();
  return {
    suite: 'shadow',
    cpus: cpus().length,
    loadavg: loadavg().map((x) => +x.toFixed(2)),
    model: `${v.manifest.name} v${v.manifest.version}, shadow: the same version`,
    items: ITEMS,
    batch: BATCH,
    saturated: {
      withoutShadow: plainSat,
      withShadow: shadowSat,
      servedThroughputChangePercent: +((100 * (shadowSat.servedItemsPerSec - plainSat.servedItemsPerSec)) / plainSat.servedItemsPerSec).toFixed(1),
    },
    paced: {
      batchEveryMs: +(2 * batchMs).toFixed(3),
      withoutShadow: plainPaced,
      withShadow: shadowPaced,
      p50ChangePercent: +((100 * (shadowPaced.batchMsP50 - plainPaced.batchMsP50)) / plainPaced.batchMsP50).toFixed(1),
    },
    shadowItemsScored: (await shadowMetrics.items.get()).values.filter((x) => x.labels.model === v.manifest.name).reduce((a, x) => a + x.value, 0),
    shadowItemsSkippedBusy: skipped,
    agreement: summary?.share ?? null,
  };
}

runIfExecutedDirectly(import.meta.url, run);
