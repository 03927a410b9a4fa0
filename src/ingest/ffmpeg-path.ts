import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { envValue } from '../core/environment.js';

const require = createRequire(import.meta.url);

/**
 * Path of the ffmpeg binary: `FFMPEG_PATH` when set, else the one bundled by
 * `@ffmpeg-installer/ffmpeg`. Throws naming both ways to fix it when neither exists.
 */
export function ffmpegPath(): string {
  const fromEnv = envValue('FFMPEG_PATH');
  if (fromEnv) {
    if (!existsSync(fromEnv)) throw new Error(`FFMPEG_PATH=${fromEnv} does not exist`);
    return fromEnv;
  }
  let bundled: string;
  try {
    bundled = (require('@ffmpeg-installer/ffmpeg') as { path: string }).path;
  } catch (e) {
    throw new Error(
      `ffmpeg not found: @ffmpeg-installer/ffmpeg is not installed for this platform (${(e as Error).message.split('\n')[0]}); set FFMPEG_PATH to an ffmpeg binary`,
    );
  }
  if (!existsSync(bundled)) throw new Error(`ffmpeg not found at ${bundled} (@ffmpeg-installer/ffmpeg); set FFMPEG_PATH to an ffmpeg binary`);
  return bundled;
}
