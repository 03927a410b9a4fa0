import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname, resolve, sep } from 'node:path';

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.ico': 'image/x-icon',
  '.txt': 'text/plain; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.wasm': 'application/wasm',
  '.woff2': 'font/woff2',
};

export function contentTypeOf(path: string): string {
  return CONTENT_TYPES[extname(path).toLowerCase()] ?? 'application/octet-stream';
}

/**
 * Maps a URL path (below a mount point) to a file inside `root`, or undefined when the path is
 * malformed or escapes the root: bad percent-encoding, null bytes, backslashes, `..` segments
 * (raw or encoded), and — belt and braces — any resolved path outside the root.
 */
export function safeResolve(root: string, urlPath: string): string | undefined {
  let decoded: string;
  try {
    decoded = decodeURIComponent(urlPath);
  } catch {
    return undefined;
  }
  if (decoded.includes('\0') || decoded.includes('\\')) return undefined;
  const segments = decoded.split('/').filter((s) => s.length > 0);
  if (segments.some((s) => s === '..' || s === '.')) return undefined;
  const absRoot = resolve(root);
  const full = resolve(absRoot, ...segments);
  if (full !== absRoot && !full.startsWith(absRoot + sep)) return undefined;
  return full;
}

export interface ServeFileOptions {
  /** Cache-Control header value. */
  cacheControl: string;
}

/** Streams one file with content type, length, ETag and 304 handling; false when it is not a regular file. */
export async function serveFile(req: IncomingMessage, res: ServerResponse, path: string, options: ServeFileOptions): Promise<boolean> {
  let info;
  try {
    info = await stat(path);
  } catch {
    return false;
  }
  if (!info.isFile()) return false;
  const etag = `"${info.size.toString(16)}-${Math.floor(info.mtimeMs).toString(16)}"`;
  const headers: Record<string, string | number> = {
    'Content-Type': contentTypeOf(path),
    'Cache-Control': options.cacheControl,
    ETag: etag,
    'Last-Modified': info.mtime.toUTCString(),
    'X-Content-Type-Options': 'nosniff',
  };
  if (req.headers['if-none-match'] === etag) {
    res.writeHead(304, headers);
    res.end();
    return true;
  }
  headers['Content-Length'] = info.size;
  res.writeHead(200, headers);
  if (req.method === 'HEAD') {
    res.end();
    return true;
  }
  await new Promise<void>((done) => {
    const s = createReadStream(path);
    s.on('error', () => {
      res.destroy();
      done();
    });
    s.on('end', () => done());
    s.pipe(res);
  });
  return true;
}

/** Cache policy for the built dashboard: content-hashed assets forever, everything else revalidated. */
export function dashboardCacheControl(relPath: string): string {
  return /^\/?assets\//.test(relPath) ? 'public, max-age=31536000, immutable' : 'no-cache';
}
