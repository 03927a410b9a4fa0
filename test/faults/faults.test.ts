import { copyFileSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FaultBroker, type ScenarioResult, courseStreamFiles } from '../../bench/faults/harness.js';
import { SCENARIOS, composeTopology } from '../../bench/faults/scenarios.js';
import { repoRoot, requireDataPath } from '../../src/core/paths.js';

/**
 * The multi-process Kafka deployment under faults: real child processes (a gateway `start --stages none`
 * and one process per stage), a real broker of this file's own (stopped and restarted on purpose, so
 * it is not the shared one of test/global-setup.ts), at least 2,000 inputs per scenario across 4 streams.
 * `npm run bench -- faults` runs the same scenarios and prints their JSON.
 */
let broker: FaultBroker;
beforeAll(async () => {
  broker = await FaultBroker.start();
}, 180_000);
afterAll(async () => {
  await broker?.close();
});

const SCENARIO_TIMEOUT = 420_000;

function expectNothingLost(r: ScenarioResult): void {
  const summary = JSON.stringify(r);
  expect(r.acknowledged, summary).toBeGreaterThanOrEqual(2000);
  expect(r.lost, summary).toBe(0);
  expect(r.duplicatesFlagged, summary).toBe(true);
  expect(r.details.repeatsShownOnDashboard, summary).toBe(0);
  for (const [id, status] of Object.entries(r.details.streams as Record<string, string>)) expect(status, `${id}: ${summary}`).toBe('ended');
}

describe.sequential('Kafka production mode under faults (multi-process, real broker)', () => {
  it('runs the docker-compose.yml topology from its own commands: every media predicted by worker processes', async () => {
    const images = mkdtempSync(join(tmpdir(), 'streamlens-compose-images-'));
    try {
      const animals = requireDataPath('animals', 'cat/dog/fox photos');
      for (const cls of ['cat', 'dog', 'fox']) {
        for (const f of readdirSync(join(animals, cls)).slice(0, 3)) copyFileSync(join(animals, cls, f), join(images, `${cls}-${f}`));
      }
      const csv = courseStreamFiles('compose', 1, 50);
      const r = await composeTopology(broker, { audioFile: join(repoRoot, 'assets', 'demo', 'speech-1.wav'), imagesDir: images, csv: csv.streams[0].path });
      rmSync(csv.dir, { recursive: true, force: true });
      expect(r.services).toEqual(expect.arrayContaining(['gateway', 'features-audio', 'features-image', 'features-course', 'inference-audio', 'inference-image', 'inference-course']));
      expect(r.predictionsByKind.audio, JSON.stringify(r)).toBeGreaterThan(0);
      expect(r.predictionsByKind.image, JSON.stringify(r)).toBeGreaterThan(0);
      expect(r.predictionsByKind.course, JSON.stringify(r)).toBeGreaterThan(0);
      // Feedback on a worker's prediction, through the gateway process: counted there.
      expect(r.feedback.status, JSON.stringify(r.feedback)).toBe(201);
      expect(r.feedback.body).toMatchObject({ model: 'animal', counted: true, correct: true });
      expect(r.feedback.counted).toBe(1);
    } finally {
      rmSync(images, { recursive: true, force: true });
    }
  }, SCENARIO_TIMEOUT);

  it('kill-worker: SIGKILL of one of two inference workers mid-stream loses nothing; the survivor takes over', async () => {
    const r = await SCENARIOS['kill-worker'](broker);
    expectNothingLost(r);
    expect(r.details.killedWorkerHadConsumed as number).toBeGreaterThan(0);
    expect(r.recoverySeconds).toBeLessThan(60);
  }, SCENARIO_TIMEOUT);

  it('broker-restart: 10 s without the broker; workers and gateway recover by themselves, nothing lost', async () => {
    const r = await SCENARIOS['broker-restart'](broker);
    expectNothingLost(r);
    expect(r.details.outageSeconds as number).toBeGreaterThanOrEqual(10);
    expect(r.details.deadLettered).toBe(0);
    expect(Number.isFinite(r.recoverySeconds)).toBe(true);
  }, SCENARIO_TIMEOUT);

  it('rebalance: a third worker joins mid-stream and one leaves cleanly, nothing lost', async () => {
    const r = await SCENARIOS.rebalance(broker);
    expectNothingLost(r);
    expect(r.details.leaverExitCode).toBe(0);
    expect(r.details.joinedWorkerConsumed as number).toBeGreaterThan(0);
  }, SCENARIO_TIMEOUT);

  it('routing: streams pinned through the gateway are served by the pinned version in a separate worker process', async () => {
    const r = await SCENARIOS.routing(broker);
    expectNothingLost(r);
    expect(r.details.servedByWrongVersion).toBe(0);
    const seen = r.details.versionsSeen as string[];
    expect(seen.some((s) => s.endsWith(`@${r.details.pinnedVersion}`))).toBe(true);
    expect(seen.some((s) => s.endsWith(`@${r.details.defaultVersion}`))).toBe(true);
  }, SCENARIO_TIMEOUT);

  it('broker-outage-long: 60 s without the broker; sources pause and resume by themselves, nothing lost or wrongly dead-lettered', async () => {
    const r = await SCENARIOS['broker-outage-long'](broker);
    expectNothingLost(r);
    expect(r.details.deadLettered).toBe(0);
    expect(r.details.outageSeconds as number).toBeGreaterThanOrEqual(60);
    // Paused, not failed: no source went to "error" during the outage.
    for (const status of Object.values(r.details.statusesDuringOutage as Record<string, string>)) expect(status).not.toBe('error');
  }, SCENARIO_TIMEOUT);

  it('poison: undecodable values go to the dead-letter topic with a reason and never block a partition', async () => {
    const r = await SCENARIOS.poison(broker);
    expectNothingLost(r);
    expect(r.details.poisonDeadLettered).toBe(r.details.poisonInjected);
    expect(r.details.deadLettered).toBe(r.details.poisonInjected);
  }, SCENARIO_TIMEOUT);

  it('health-under-load: /healthz and /metrics of every process answer within 1 s at full load', async () => {
    const r = await SCENARIOS['health-under-load'](broker);
    expectNothingLost(r);
    expect(r.details.probes as number).toBeGreaterThan(20);
    expect(r.details.failedProbes).toBe(0);
    expect(r.details.worstHealthzMs as number).toBeLessThan(1000);
    expect(r.details.worstMetricsMs as number).toBeLessThan(1000);
  }, SCENARIO_TIMEOUT);
});
