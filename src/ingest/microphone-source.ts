import { createRequire } from 'node:module';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { INGEST_SAMPLE_RATE } from './audio-chunk.js';
import { LivePcmSource } from './live-pcm-source.js';

const require = createRequire(import.meta.url);

export type MicrophoneRecorder = 'sox' | 'rec' | 'arecord';

export interface MicrophoneSourceOptions {
  /** Recording program (default: sox, else arecord, whichever is installed). */
  recorder?: MicrophoneRecorder;
  /** Capture device (arecord -D). */
  device?: string;
  maxQueuedChunks?: number;
}

const INSTALL_HINT: Record<MicrophoneRecorder, string> = {
  sox: 'install SoX (Debian/Ubuntu: `apt-get install sox`, macOS: `brew install sox`)',
  rec: 'install SoX (Debian/Ubuntu: `apt-get install sox`, macOS: `brew install sox`)',
  arecord: 'install ALSA utilities (Debian/Ubuntu: `apt-get install alsa-utils`)',
};

/** Absolute path of an executable on PATH, or null. */
export function findExecutable(name: string): string | null {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    const p = join(dir, name);
    try {
      accessSync(p, constants.X_OK);
      return p;
    } catch {
      /* keep looking */
    }
  }
  return null;
}

/** Which recorder to use; throws naming the package to install when none is available. */
export function chooseRecorder(preferred?: MicrophoneRecorder): MicrophoneRecorder {
  const candidates: MicrophoneRecorder[] = preferred ? [preferred] : ['sox', 'arecord'];
  for (const c of candidates) if (findExecutable(c)) return c;
  if (preferred) throw new Error(`microphone capture needs the "${preferred}" program, which is not on PATH: ${INSTALL_HINT[preferred]}`);
  throw new Error(
    `microphone capture needs "sox" or "arecord", neither is on PATH: ${INSTALL_HINT.sox}, or ${INSTALL_HINT.arecord}`,
  );
}

interface Recording {
  stream(): NodeJS.ReadableStream;
  stop(): void;
  process: import('node:child_process').ChildProcess;
}

/**
 * The default microphone through node-record-lpcm16 (sox or arecord), 16 kHz mono s16le, as a
 * live source (never blocks; a slow reader loses the oldest chunks, counted).
 */
export function openMicrophoneSource(options: MicrophoneSourceOptions = {}): LivePcmSource {
  const recorder = chooseRecorder(options.recorder);
  const { record } = require('node-record-lpcm16') as { record: (o: Record<string, unknown>) => Recording };
  const source = new LivePcmSource({ description: `microphone (${recorder})`, maxQueuedChunks: options.maxQueuedChunks });
  const rec = record({ sampleRate: INGEST_SAMPLE_RATE, channels: 1, audioType: 'raw', recorder, device: options.device });
  let stderr = '';
  rec.process.stderr?.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-2000);
  });
  const stream = rec.stream();
  stream.on('data', (b: Buffer) => source.push(b));
  stream.on('end', () => source.end());
  stream.on('error', (e: unknown) =>
    source.fail(new Error(`microphone recorder ${recorder} failed: ${String(e instanceof Error ? e.message : e).split('\n')[0]} ${stderr.trim()}`)),
  );
  rec.process.once('error', (e) => source.fail(new Error(`could not start ${recorder}: ${e.message}. ${INSTALL_HINT[recorder]}`)));
  const close = source.close.bind(source);
  source.close = async () => {
    rec.stop();
    await close();
  };
  return source;
}
