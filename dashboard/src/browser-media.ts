import { CHUNK_SAMPLES, PIPELINE_SAMPLE_RATE as TARGET_RATE } from '../../src/core/audio-format.js';
import { socketProtocols, socketUrl } from './api.js';
import { PCM_WORKLET_SOURCE } from './pcm-worklet.js';
import { Downsampler } from './resample.js';

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

/**
 * This browser's microphone as a live stream: capture at the device rate, resample to 16 kHz
 * Int16 and send ~100 ms chunks to /ws/ingest (media=audio). The gateway creates the push stream
 * and removes it when the socket closes.
 */
export async function startMicrophone(onEnd: (reason: string) => void): Promise<Capture> {
  if (!navigator.mediaDevices?.getUserMedia) throw new Error('this browser cannot capture audio here (getUserMedia needs https or localhost)');
  const media = await navigator.mediaDevices.getUserMedia({ audio: { channelCount: 1, echoCancellation: false, noiseSuppression: false, autoGainControl: false }, video: false });
  const streamId = randomId('mic');
  let ws: WebSocket;
  try {
    ws = await openIngest(streamId, 'audio', (reason) => {
      stop();
      onEnd(reason);
    }, { sampleRate: String(TARGET_RATE) });
  } catch (e) {
    media.getTracks().forEach((t) => t.stop());
    throw e;
  }
  const ctx = new AudioContext();
  await ctx.resume();
  const down = new Downsampler(ctx.sampleRate, TARGET_RATE);
  let pending = new Int16Array(0);
  const onSamples = (block: Float32Array) => {
    const pcm = down.push(block);
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
