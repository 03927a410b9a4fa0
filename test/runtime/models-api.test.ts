import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type App, createApp } from '../../src/app/app.js';
import { parseConfig } from '../../src/core/config.js';

describe('the real app: /api/models without an inference stage in this process', () => {
  let app: App;
  beforeAll(async () => {
    app = await createApp(parseConfig({ gateway: { port: 0 } }), { stages: ['features:course'], demo: false });
  });
  afterAll(async () => {
    await app?.stop();
  });

  it('lists every version with its evaluation and report, and says it cannot tell which version serves', () => {
    const models = app.context.models.list();
    const emotion = models.find((m) => m.name === 'emotion')!;
    expect(emotion.serving).toBeUndefined();
    expect(emotion.servingSource).toMatch(/no inference stage/);
    const v = emotion.versions[0];
    expect(v.evaluation[0].split).toMatch(/leave-speakers-out/);
    expect(v.report).toBe('report.html');
    const course = models.find((m) => m.name === 'course')!;
    expect(course.versions[0].report).toBe('comparison.json'); // what its manifest names, and the file exists
    expect(course.versions[0].evaluation.map((e) => e.task)).toEqual(['subject', 'popularity']);
  });
});

describe('the real app warms its models before consuming', () => {
  it('once start() resolves, the audio inference stage models are loaded and serving (no load on the first live frame)', async () => {
    const app = await createApp(parseConfig({ gateway: { port: 0 } }), { stages: ['inference:audio'], demo: false });
    try {
      await app.start();
      const models = app.context.models.list();
      expect(models.find((m) => m.name === 'emotion')!.serving).toBe('4');
      expect(models.find((m) => m.name === 'gender')!.serving).toBe('1');
      expect(models.find((m) => m.name === 'emotion')!.servingSource).toBe('this process');
    } finally {
      await app.stop();
    }
  }, 60_000);
});
