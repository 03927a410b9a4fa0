import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp, type App } from '../../src/app/app.js';
import type { Consumer } from '../../src/bus/bus.js';
import { decodeMessage } from '../../src/bus/envelope.js';
import { TOPICS } from '../../src/bus/topics.js';
import { PIPELINE_SAMPLE_RATE } from '../../src/core/audio-format.js';
import { parseConfig } from '../../src/core/config.js';
import { createGateway, type Gateway } from '../../src/gateway/index.js';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../helpers/chromium.js';
import { buildDashboard } from '../helpers/dashboard-build.js';
import { dominantFrequency } from '../helpers/dominant-frequency.js';
import { writeSineWav } from '../helpers/sine-wav.js';
import { waitFor } from '../helpers/wait.js';

const DEVICE_RATE = 48_000;
const TONE_HZ = 440;

/** One audio chunk as the pipeline received it on audio.chunks. */
interface ReceivedChunk {
  streamId: string;
  /** Append time on the bus, epoch ms. */
  at: number;
  sampleRate: number;
  pcm: Int16Array;
}

function rms(pcm: Int16Array): number {
  let sum = 0;
  for (const v of pcm) sum += v * v;
  return Math.sqrt(sum / Math.max(1, pcm.length));
}

/**
 * The browser microphone path at the right rate: Chromium's fake microphone plays a 48 kHz sine, the
 * dashboard's AudioContext at the pipeline rate resamples it (Web Audio), and what the real app's ingest
 * publishes on audio.chunks is checked: the tone at its true pitch when read at 16 kHz (audio at another
 * rate would move it by the ratio of the rates) and as many samples as the seconds streamed at 16 kHz.
 */
describe('browser microphone arrives at the pipeline rate (Web Audio resampling, headless Chromium)', () => {
  let app: App;
  let gw: Gateway;
  let browser: Browser;
  let consumer: Consumer;
  const received: ReceivedChunk[] = [];

  beforeAll(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'streamlens-mic-rate-'));
    const wav = writeSineWav(join(dir, 'sine-440hz-48k.wav'), { sampleRate: DEVICE_RATE, frequencyHz: TONE_HZ, seconds: 3 });
    const dist = await buildDashboard();
    // The real app's ingest on its embedded bus, no stages: audio.chunks holds exactly what the browser sent.
    app = await createApp(parseConfig({}), { demo: false, stages: [], gateway: false });
    await app.start();
    consumer = app.context.bus.consumer({ groupId: 'test.microphone-rate', topics: [TOPICS.audioChunks], fromBeginning: true });
    await consumer.run(async (batch) => {
      for (const m of batch.messages) {
        const d = decodeMessage(m.value);
        if (d.type === 'audio.chunk') received.push({ streamId: d.env.streamId, at: m.timestamp, sampleRate: d.meta.sampleRate, pcm: d.pcm });
      }
    });
    gw = await createGateway(app.context, { host: '127.0.0.1', port: 0, dashboardDir: dist, courseReportDir: join(dir, 'courses'), env: {} });
    browser = await chromium.launch({
      executablePath: CHROMIUM_PATH,
      headless: true,
      args: [...CHROMIUM_ARGS, '--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream', `--use-file-for-fake-audio-capture=${wav}`, '--autoplay-policy=no-user-gesture-required'],
    });
  });

  afterAll(async () => {
    await browser?.close();
    await gw?.close();
    await consumer?.stop();
    await app?.stop();
  });

  async function openDashboard(initScript?: string): Promise<{ context: BrowserContext; page: Awaited<ReturnType<BrowserContext['newPage']>>; errors: string[] }> {
    const context = await browser.newContext();
    if (initScript) await context.addInitScript(initScript);
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(gw.url);
    await page.locator('#use-mic').waitFor();
    return { context, page, errors };
  }

  it('a 48 kHz microphone reaches audio.chunks as 16 kHz PCM: 440 Hz at 16 kHz, 16,000 samples per second streamed', async () => {
    const { context, page, errors } = await openDashboard();
    await page.click('#use-mic');
    await page.waitForFunction(() => /Stop microphone \(mic-/.test(document.querySelector('#use-mic')?.textContent ?? ''), undefined, { timeout: 10_000 });
    const streamId = /\((mic-[^)]+)\)/.exec((await page.textContent('#use-mic'))!)![1];
    const ofStream = () => received.filter((c) => c.streamId === streamId);
    await waitFor(() => ofStream().length > 0, `the first audio chunk of ${streamId} on ${TOPICS.audioChunks}`, 10_000);
    // Stream for a while after the first chunk (the start-up of the capture is not measured).
    const first = ofStream()[0];
    await waitFor(() => ofStream().some((c) => c.at - first.at >= 5_000), `5 s of audio chunks of ${streamId}`, 15_000);
    const chunks = ofStream(); // before stopping: the stop flushes a partial last chunk
    await page.click('#use-mic'); // stop
    await context.close();

    const last = chunks[chunks.length - 1];
    expect(chunks.every((c) => c.sampleRate === PIPELINE_SAMPLE_RATE)).toBe(true);
    // Samples that arrived after the first chunk, over the time since it: the stream's real rate.
    const samplesAfterFirst = chunks.slice(1).reduce((n, c) => n + c.pcm.length, 0);
    const samplesPerSecond = samplesAfterFirst / ((last.at - first.at) / 1000);
    expect(samplesPerSecond).toBeGreaterThan(PIPELINE_SAMPLE_RATE * 0.85);
    expect(samplesPerSecond).toBeLessThan(PIPELINE_SAMPLE_RATE * 1.15);

    // The last full second received, read at the pipeline rate: the tone at its true pitch, and loud.
    const all = new Int16Array(chunks.reduce((n, c) => n + c.pcm.length, 0));
    let offset = 0;
    for (const c of chunks) {
      all.set(c.pcm, offset);
      offset += c.pcm.length;
    }
    const lastSecond = all.subarray(all.length - PIPELINE_SAMPLE_RATE);
    expect(rms(lastSecond)).toBeGreaterThan(3000); // the WAV's 0.5 full-scale sine has an RMS of ~11,600
    const pitch = dominantFrequency(lastSecond, PIPELINE_SAMPLE_RATE, 50, 7_900);
    expect(Math.abs(pitch - TONE_HZ)).toBeLessThanOrEqual(3);
    expect(errors).toEqual([]);
  });

  it.each([
    [
      'refuses the pipeline rate (NotSupportedError)',
      `window.AudioContext = function () { throw new DOMException('sample rate not supported', 'NotSupportedError'); };`,
      /microphone: this browser cannot run Web Audio at 16000 Hz \(NotSupportedError: sample rate not supported\)/,
    ],
    [
      'runs at another rate than asked',
      `{ const Real = window.AudioContext; window.AudioContext = class extends Real { get sampleRate() { return 44100; } }; }`,
      /microphone: this browser runs Web Audio at 44100 Hz although 16000 Hz was asked for; the microphone is not sent/,
    ],
  ])('a browser that %s shows a one-line error and sends no audio', async (_what, fake, message) => {
    const streamsBefore = new Set(received.map((c) => c.streamId));
    const { context, page, errors } = await openDashboard(fake);
    await page.click('#use-mic');
    const toast = page.locator('#toasts .toast.error');
    await toast.first().waitFor({ timeout: 10_000 });
    const text = (await toast.first().textContent())!;
    expect(text).toMatch(message);
    expect(text).not.toContain('\n');
    expect(await page.textContent('#use-mic')).toBe('Use my microphone');
    // Nothing reached the pipeline from this page: no new stream, no push stream created at the gateway.
    await new Promise((r) => setTimeout(r, 1000));
    expect(received.filter((c) => !streamsBefore.has(c.streamId))).toEqual([]);
    expect(app.context.streams.list().filter((s) => s.id.startsWith('mic-') && s.status === 'running')).toEqual([]);
    expect(errors).toEqual([]);
    await context.close();
  });
});
