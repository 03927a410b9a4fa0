import type { Bus, Producer } from '../bus/bus.js';
import type { SourceConfig } from '../core/config.js';
import type { Route } from '../core/route.js';
import { openImageSource } from './image-source.js';
import { publishVideoSource } from './publish.js';
import { openVideoSource } from './video-source.js';

type VideoSourceConfig = Extract<SourceConfig, { kind: 'camera' | 'video-file' | 'video-url' | 'images' }>;

/**
 * Runs one camera / video / image stream until it ends, fails or `signal` aborts.
 * Cameras and URLs are live (drop-oldest under pressure); files and image folders wait.
 */
export async function startVideoStream(
  bus: Bus,
  _producer: Producer,
  streamId: string,
  src: VideoSourceConfig,
  signal: AbortSignal,
  route?: Route,
  options: { confine?: (file: string) => string } = {},
): Promise<{ published: number; dropped: number }> {
  const source =
    src.kind === 'images'
      ? openImageSource(src.path, { fps: src.fps, loop: src.loop, confine: options.confine })
      : src.kind === 'camera'
        ? openVideoSource({ kind: 'camera', device: src.device }, { fps: src.fps })
        : src.kind === 'video-url'
          ? openVideoSource({ kind: 'url', url: src.url }, { fps: src.fps })
          : openVideoSource({ kind: 'file', path: src.path }, { fps: src.fps, realtime: src.realtime });
  const paced = src.kind === 'images' || (src.kind === 'video-file' && src.realtime);
  let loops = 0;
  let total = { published: 0, dropped: 0 };
  let current = publishVideoSource(bus, streamId, source, { paced, route });
  const stop = () => void current.stop();
  signal.addEventListener('abort', stop, { once: true });
  for (;;) {
    const summary = await current.done;
    total = { published: total.published + summary.published, dropped: total.dropped + summary.dropped };
    if (summary.error) throw summary.error;
    // A looping video file starts again (image folders loop inside their source).
    if (src.kind === 'video-file' && src.loop && !signal.aborted && loops++ < 1_000_000) {
      current = publishVideoSource(bus, streamId, openVideoSource({ kind: 'file', path: src.path }, { fps: src.fps, realtime: src.realtime }), { paced, route });
      continue;
    }
    signal.removeEventListener('abort', stop);
    return total;
  }
}
