import { describe, expect, it } from 'vitest';
import { EmbeddedBus } from '../../src/bus/embedded.js';
import { StageRunner, type StageDefinition } from '../../src/bus/stage-runner.js';
import { TOPICS } from '../../src/bus/topics.js';
import { stageMetrics } from '../../src/core/metrics.js';
import { courseInferenceStage } from '../../src/inference/course/course-stage.js';

/**
 * Issue 24 point 5: models are warmed before the first live item, so the first seconds do not show
 * loading as a p99. A stage's warmUp runs when it starts, before it consumes; a failing warm-up is
 * logged and the stage still starts (its model then loads on first use).
 */
describe('stage warm-up', () => {
  it('runs before the first message is consumed; a failure does not stop the stage', async () => {
    const bus = new EmbeddedBus();
    const order: string[] = [];
    const stage = (name: string, fail: boolean): StageDefinition => ({
      name,
      input: `warm.${name}`,
      accepts: ['course.enriched'],
      async warmUp() {
        order.push(`${name}:warm`);
        if (fail) throw new Error('no model');
      },
      async process(batch) {
        order.push(`${name}:process`);
        return batch.map(() => []);
      },
    });
    const ok = new StageRunner(bus, stage('ok', false));
    const bad = new StageRunner(bus, stage('bad', true));
    await ok.start();
    await bad.start();
    expect(order).toEqual(['ok:warm', 'bad:warm']);
    await ok.stop();
    await bad.stop();
    await bus.close();
  });

  it('inference:course loads the shipped course model at start, before any record', async () => {
    const bus = new EmbeddedBus();
    const def = courseInferenceStage({ reloadIntervalMs: 3_600_000 });
    expect(def.input).toBe(TOPICS.coursesEnriched);
    const loaded = async () => (await stageMetrics.explanationBytes.get()).values.filter((v) => v.labels.model === 'course');
    expect(await loaded()).toHaveLength(0);
    const runner = new StageRunner(bus, def);
    await runner.start();
    const after = await loaded();
    expect(after).toHaveLength(1);
    expect(after[0].value).toBeGreaterThan(0);
    await runner.stop();
    await bus.close();
  });
});
