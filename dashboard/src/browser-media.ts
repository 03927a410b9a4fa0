import { CHUNK_SAMPLES, PIPELINE_SAMPLE_RATE as TARGET_RATE } from '../../src/core/audio-format.js';
import { socketProtocols, socketUrl } from './api.js';
import { PCM_WORKLET_SOURCE } from './pcm-worklet.js';

export interface Capture {
  streamId: string;
  stop(): void;
}

/** Browser-side backpressure: skip sending while this much is still unsent. */
const MAX_UNSENT_BYTES = 512 * 1024;

function randomId(prefix: string): string {
  return `${prefix}-${Math.random().toString(36).slice(2, 7)}`;
}

function openIngest(streamId: string, media: 'audio' | 'video', onEnd: (reason: string) => void, params: Record<string, string> = {}): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(socketUrl('/ws/ingest', { stream: streamId, media, ...params }), socketProtocols());
    ws.binaryType = 'arraybuffer';
    let opened = false;
    ws.onopen = () => {
      opened = true;
      resolve(ws);
    };
    ws.onclose = (e) => {
      if (!opened) reject(new Error(`the gateway refused the ${media} connection${e.reason ? `: ${e.reason}` : ''}`));
      else onEnd(e.code === 1000 ? '' : `${media} upload stopped (${e.code}${e.reason ? `: ${e.reason}` : ''})`);
    };
  });
}

/** Float samples in [-1, 1] as Int16 PCM (clipped). */
function toPcm16(block: Float32Array): Int16Array {
  const out = new Int16Array(block.length);
  for (let i = 0; i < block.length; i++) {
    const v = Math.max(-1, Math.min(1, block[i]));
    out[i] = v < 0 ? Math.round(v * 32768) : Math.round(v * 32767);
  }
  return out;
}

/**
 * An AudioContext running at the pipeline rate: the browser's own resampler (Web Audio) converts the
 * microphone from the device rate. Throws a clear error where the browser cannot run at that rate.
 */
function pipelineRateContext(): AudioContext {
  let ctx: AudioContext;
  try {
    ctx = new AudioContext({ sampleRate: TARGET_RATE });
  } catch (e) {
    throw new Error(`this browser cannot run Web Audio at ${TARGET_RATE} Hz (${(e as Error).message}); use another browser or stream a file`);
  }
  if (ctx.sampleRate !== TARGET_RATE) {
    void ctx.close();
    throw new Error(`this browser runs Web Audio at ${ctx.sampleRate} Hz, not the ${TARGET_RATE} Hz the pipeline needs`);
  }
  return ctx;
}

/**
 * This browser's microphone as a live stream: Web Audio resamples the device to 16 kHz, the samples
 * go out as Int16 in ~100 ms chunks to /ws/ingest (media=audio). The gateway creates the push stream
 * and removes it when the socket closes.
 */
export async function startMicrophone(onEnd: (reason: string) => void): Promise<Capture> {
  if (!navigator.mediaDevices?.getUserMedia) throw new Error('this browser cannot capture audio here (getUserMedia needs https or localhost)');
  const media = await navigator.mediaDevices.getUserMedia({ audio: { channelCount: 1, echoCancellation: false, noiseSuppression: false, autoGainControl: false }, video: false });
  const streamId = randomId('mic');
  let ctx: AudioContext;
  try {
    ctx = pipelineRateContext();
  } catch (e) {
    media.getTracks().forEach((t) => t.stop());
    throw e;
  }
  let ws: WebSocket;
  try {
    ws = await openIngest(streamId, 'audio', (reason) => {
      stop();
      onEnd(reason);
    }, { sampleRate: String(TARGET_RATE) });
  } catch (e) {
    media.getTracks().forEach((t) => t.stop());
    void ctx.close();
    throw e;
  }
  await ctx.resume();
  let pending = new Int16Array(0);
  const onSamples = (block: Float32Array) => {
    const pcm = toPcm16(block);
    const merged = new Int16Array(pending.length + pcm.length);
    merged.set(pending);
    merged.set(pcm, pending.length);
    let offset = 0;
    while (merged.length - offset >= CHUNK_SAMPLES) {
      const chunk = merged.slice(offset, offset + CHUNK_SAMPLES);
      offset += CHUNK_SAMPLES;
      if (ws.readyState === WebSocket.OPEN && ws.bufferedAmount < MAX_UNSENT_BYTES) ws.send(chunk.buffer);
    }
    pending = merged.slice(offset);
  };
  const source = ctx.createMediaStreamSource(media);
  const mute = ctx.createGain();
  mute.gain.value = 0;
  mute.connect(ctx.destination);
  let node: AudioNode;
  if (ctx.audioWorklet) {
    const url = URL.createObjectURL(new Blob([PCM_WORKLET_SOURCE], { type: 'text/javascript' }));
    await ctx.audioWorklet.addModule(url);
    URL.revokeObjectURL(url);
    const worklet = new AudioWorkletNode(ctx, 'pcm-tap', { numberOfInputs: 1, numberOfOutputs: 1, channelCount: 1 });
    worklet.port.onmessage = (e: MessageEvent<Float32Array>) => onSamples(e.data);
    node = worklet;
  } else {
    // Older browsers: the deprecated ScriptProcessorNode does the same on the main thread.
    const proc = ctx.createScriptProcessor(4096, 1, 1);
    proc.onaudioprocess = (e) => onSamples(new Float32Array(e.inputBuffer.getChannelData(0)));
    node = proc;
  }
  source.connect(node);
  node.connect(mute);
  let stopped = false;
  const stop = () => {
    if (stopped) return;
    stopped = true;
    source.disconnect();
    node.disconnect();
    media.getTracks().forEach((t) => t.stop());
    void ctx.close();
    if (ws.readyState === WebSocket.OPEN) ws.close(1000, 'stopped');
  };
  return { streamId, stop };
}

/** This browser's camera as a live stream: a 320-px JPEG every 200 ms to /ws/ingest (media=video). */
export async function startWebcam(onEnd: (reason: string) => void): Promise<Capture> {
  if (!navigator.mediaDevices?.getUserMedia) throw new Error('this browser cannot capture video here (getUserMedia needs https or localhost)');
  const media = await navigator.mediaDevices.getUserMedia({ video: { width: { ideal: 640 }, height: { ideal: 480 } }, audio: false });
  const streamId = randomId('cam');
  let ws: WebSocket;
  try {
    ws = await openIngest(streamId, 'video', (reason) => {
      stop();
      onEnd(reason);
    });
  } catch (e) {
    media.getTracks().forEach((t) => t.stop());
    throw e;
  }
  const video = document.createElement('video');
  video.muted = true;
  video.playsInline = true;
  video.srcObject = media;
  await video.play();
  const canvas = document.createElement('canvas');
  const g = canvas.getContext('2d')!;
  let busy = false;
  const timer = setInterval(() => {
    if (busy || !video.videoWidth || ws.readyState !== WebSocket.OPEN || ws.bufferedAmount > MAX_UNSENT_BYTES) return;
    const scale = 320 / video.videoWidth;
    canvas.width = 320;
    canvas.height = Math.round(video.videoHeight * scale);
    g.drawImage(video, 0, 0, canvas.width, canvas.height);
    busy = true;
    canvas.toBlob(
      (blob) => {
        busy = false;
        if (blob && ws.readyState === WebSocket.OPEN) void blob.arrayBuffer().then((b) => ws.send(b));
      },
      'image/jpeg',
      0.7,
    );
  }, 200);
  let stopped = false;
  const stop = () => {
    if (stopped) return;
    stopped = true;
    clearInterval(timer);
    media.getTracks().forEach((t) => t.stop());
    video.srcObject = null;
    if (ws.readyState === WebSocket.OPEN) ws.close(1000, 'stopped');
  };
  return { streamId, stop };
}
