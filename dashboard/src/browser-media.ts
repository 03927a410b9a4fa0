import { CHUNK_SAMPLES, PIPELINE_SAMPLE_RATE } from '../../src/core/audio-format.js';
import { socketProtocols, socketUrl } from './api.js';
import { PCM_WORKLET_NAME, PCM_WORKLET_SOURCE } from './pcm-worklet.js';
import { pipelineAudioContext } from './pipeline-audio-context.js';

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
 * This browser's microphone as a live stream: an AudioContext at the pipeline rate resamples the device's
 * audio (Web Audio), a worklet encodes it as Int16LE PCM chunks of CHUNK_SAMPLES, and each chunk is sent
 * to /ws/ingest (media=audio). The gateway creates the push stream and removes it when the socket closes.
 */
export async function startMicrophone(onEnd: (reason: string) => void): Promise<Capture> {
  if (!navigator.mediaDevices?.getUserMedia) throw new Error('this browser cannot capture audio here (getUserMedia needs https or localhost)');
  if (typeof AudioWorkletNode === 'undefined') throw new Error('this browser has no AudioWorklet (Web Audio), which the microphone upload needs');
  const media = await navigator.mediaDevices.getUserMedia({ audio: { channelCount: 1, echoCancellation: false, noiseSuppression: false, autoGainControl: false }, video: false });
  let ctx: AudioContext | undefined;
  let source: MediaStreamAudioSourceNode;
  let worklet: AudioWorkletNode;
  try {
    ctx = pipelineAudioContext();
    await ctx.resume();
    const url = URL.createObjectURL(new Blob([PCM_WORKLET_SOURCE], { type: 'text/javascript' }));
    try {
      await ctx.audioWorklet.addModule(url);
    } finally {
      URL.revokeObjectURL(url);
    }
    // Browsers that cannot resample a microphone into a context of another rate throw here (NotSupportedError).
    source = ctx.createMediaStreamSource(media);
    worklet = new AudioWorkletNode(ctx, PCM_WORKLET_NAME, { numberOfInputs: 1, numberOfOutputs: 1, channelCount: 1, channelCountMode: 'explicit', processorOptions: { chunkSamples: CHUNK_SAMPLES } });
  } catch (e) {
    media.getTracks().forEach((t) => t.stop());
    void ctx?.close();
    throw e;
  }
  const audio = ctx;
  const streamId = randomId('mic');
  let ws: WebSocket;
  try {
    ws = await openIngest(streamId, 'audio', (reason) => {
      stop();
      onEnd(reason);
    }, { sampleRate: String(PIPELINE_SAMPLE_RATE) });
  } catch (e) {
    media.getTracks().forEach((t) => t.stop());
    void audio.close();
    throw e;
  }
  worklet.port.onmessage = (e: MessageEvent<ArrayBuffer>) => {
    if (ws.readyState === WebSocket.OPEN && ws.bufferedAmount < MAX_UNSENT_BYTES) ws.send(e.data);
  };
  // The worklet must be pulled by the destination to run; a muted gain keeps the microphone inaudible.
  const mute = audio.createGain();
  mute.gain.value = 0;
  source.connect(worklet);
  worklet.connect(mute);
  mute.connect(audio.destination);
  let stopped = false;
  const stop = () => {
    if (stopped) return;
    stopped = true;
    source.disconnect();
    worklet.disconnect();
    worklet.port.onmessage = null;
    media.getTracks().forEach((t) => t.stop());
    void audio.close();
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
