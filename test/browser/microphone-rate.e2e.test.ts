import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp, type App } from '../../src/app/app.js';
import type { Consumer } from '../../src/bus/bus.js';
import { decodeMessage } from '../../src/bus/envelope.js';
import { TOPICS } from '../../src/bus/topics.js';
import { PIPELINE_SAMPLE_RATE } from '../../src/core/audio-format.js';
import { parseConfig } from '../../src/core/config.js';
import { ffmpegPath } from '../../src/ingest/ffmpeg-path.js';
import { createGateway, type Gateway } from '../../src/gateway/index.js';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../helpers/chromium.js';
import { buildDashboard } from '../helpers/dashboard-build.js';
import { waitFor } from '../helpers/wait.js';

const TONE_HZ = 440;
const DEVICE_RATE = 48_000;

/** Power of `freq` in `x` sampled at `rate` (Goertzel). */
function powerAt(x: Int16Array, freq: number, rate: number): number {
  const w = (2 * Math.PI * freq) / rate;
  const c = 2 * Math.cos(w);
  let s1 = 0;
  let s2 = 0;
  for (let i = 0; i < x.length; i++) {
    const s0 = x[i] + c * s1 - s2;
    s2 = s1;
    s1 = s0;
  }
  return s1 * s1 + s2 * s2 - c * s1 * s2;
}

/** Frequency (1 Hz steps, 50 Hz .. 4 kHz) with the most power when `x` is read at `rate`. */
function dominantFrequency(x: Int16Array, rate: number): number {
  let best = 0;
  let bestPower = -1;
  for (let f = 50; f <= 4000; f++) {
    const p = powerAt(x, f, rate);
    if (p > bestPower) {
      bestPower = p;
      best = f;
    }
  }
  return best;
}

/**
 * The dashboard's microphone in Chromium, fed a 48 kHz tone by the fake capture device: Web Audio
 * resamples it, and what reaches the pipeline's audio.chunks topic is 16 kHz PCM (the tone stays at
 * 440 Hz when read at 16 kHz, and the amount of audio matches the time it took).
 */
describe('browser microphone: Web Audio delivers 16 kHz PCM to the pipeline', () => {
  let app: App;
  let gw: Gateway;
  let browser: Browser;
  let observer: Consumer;
  const received: { at: number; pcm: Int16Array; sampleRate: number }[] = [];

  beforeAll(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'streamlens-mic-'));
    const wav = join(dir, 'tone-48k.wav');
    execFileSync(ffmpegPath(), ['-hide_banner', '-loglevel', 'error', '-f', 'lavfi', '-i', `sine=frequency=${TONE_HZ}:sample_rate=${DEVICE_RATE}:duration=3`, '-ac', '1', '-c:a', 'pcm_s16le', wav]);
    const dist = await buildDashboard(join(dir, 'dashboard'));
    app = await createApp(parseConfig({ gateway: { port: 0 } }), { demo: false, gateway: false });
    await app.start();
    gw = await createGateway(app.context, { port: 0, dashboardDir: dist, env: {} });
    observer = app.context.bus.consumer({ groupId: 'test-mic-observer', topics: [TOPICS.audioChunks], fromBeginning: true });
    await observer.run(async (batch) => {
      for (const m of batch.messages) {
        const msg = decodeMessage(m.value);
        if (msg.type === 'audio.chunk' && msg.env.streamId.startsWith('mic-') && msg.pcm.length > 0) received.push({ at: Date.now(), pcm: msg.pcm, sampleRate: msg.meta.sampleRate });
      }
    });
    browser = await chromium.launch({
      executablePath: CHROMIUM_PATH,
      headless: true,
      args: [...CHROMIUM_ARGS, '--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream', `--use-file-for-fake-audio-capture=${wav}`, '--autoplay-policy=no-user-gesture-required'],
    });
  });

  afterAll(async () => {
    await browser?.close();
    await observer?.stop();
    await gw?.close();
    await app?.stop();
  });

  it('the tone arrives at 440 Hz read at 16 kHz, at 16,000 samples a second', async () => {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text());
    });
    await page.goto(gw.url);
    await page.click('#use-mic');
    await waitFor(() => received.length > 0, 'the first microphone chunk on audio.chunks', 15_000);
    const firstAt = received[0].at;
    await waitFor(() => Date.now() - firstAt > 4_000, 'four seconds of microphone audio', 10_000);
    await page.click('#use-mic');
    await page.close();

    expect(errors).toEqual([]);
    expect(new Set(received.map((r) => r.sampleRate))).toEqual(new Set([PIPELINE_SAMPLE_RATE]));
    const samples = Int16Array.from(received.flatMap((r) => Array.from(r.pcm)));
    // Skip the first 0.5 s (start-up), analyse 1 s.
    const segment = samples.subarray(PIPELINE_SAMPLE_RATE / 2, PIPELINE_SAMPLE_RATE / 2 + PIPELINE_SAMPLE_RATE);
    expect(segment.length).toBe(PIPELINE_SAMPLE_RATE);
    expect(Math.abs(dominantFrequency(segment, PIPELINE_SAMPLE_RATE) - TONE_HZ)).toBeLessThanOrEqual(3);
    // Audio received between the first and the last chunk against the time that took (device-rate PCM would be 3x).
    const spanSec = (received[received.length - 1].at - firstAt) / 1000;
    const audioSec = received.slice(1).reduce((a, r) => a + r.pcm.length, 0) / PIPELINE_SAMPLE_RATE;
    expect(audioSec / spanSec).toBeGreaterThan(0.6);
    expect(audioSec / spanSec).toBeLessThan(1.4);
  });
});
