import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { renderReportHtml, reportJson } from '../../src/analysis/report.js';
import { loadConfigFile, parseConfig, redactConfig } from '../../src/core/config.js';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger } from '../../src/core/logger.js';
import { metricsText, registry } from '../../src/core/metrics.js';
import { displayPath, excerpt, jsonErrorSummary, redactSecrets, redactSource, redactUrl, redactValue, registerSecret, registerUrlSecrets } from '../../src/core/redact.js';
import { Counter } from 'prom-client';

/** One redaction function (src/core/redact.ts), checked on each path that prints a source or a secret. */
describe('redactUrl / redactSecrets', () => {
  it('hides user and password of RTSP, HTTP, HLS and other URLs, keeping host, path and harmless parameters', () => {
    expect(redactUrl('rtsp://admin:password@cam.local/stream')).toBe('rtsp://***@cam.local/stream');
    expect(redactUrl('rtsp://admin:p@ss:w0rd@10.0.0.5:554/h264?channel=1')).toBe('rtsp://***@10.0.0.5:554/h264?channel=1');
    expect(redactUrl('https://user:pa%40ss@cdn.example/live/index.m3u8')).toBe('https://***@cdn.example/live/index.m3u8');
    expect(redactUrl('hls+https://u:p@h.example/x.m3u8')).toBe('hls+https://***@h.example/x.m3u8');
    expect(redactUrl('https://ghp_tokenonly@h.example/a.wav')).toBe('https://***@h.example/a.wav');
    expect(redactUrl('https://h.example/a.wav')).toBe('https://h.example/a.wav');
  });

  it('hides credential query parameters (token, password, signatures), not the others', () => {
    expect(redactUrl('https://h/a.m3u8?token=abc123&quality=hd')).toBe('https://h/a.m3u8?token=***&quality=hd');
    expect(redactUrl('https://bucket.s3/x.mp4?X-Amz-Credential=AK/1&X-Amz-Signature=deadbeef&v=2')).toBe('https://bucket.s3/x.mp4?X-Amz-Credential=***&X-Amz-Signature=***&v=2');
    expect(redactUrl('rtsp://h/s?user=bob&password=hunter2')).toBe('rtsp://h/s?user=bob&password=***');
  });

  it('finds URLs inside free text such as ffmpeg error output', () => {
    const stderr = '[tcp @ 0x5581] Connection to tcp://10.0.0.5:554?timeout=0 failed: Connection refused\nrtsp://admin:password@10.0.0.5:554/stream: Connection refused "http://u:v@h/x"';
    const out = redactSecrets(stderr);
    expect(out).not.toMatch(/password|admin|u:v/);
    expect(out).toContain('rtsp://***@10.0.0.5:554/stream: Connection refused');
    expect(out).toContain('tcp://10.0.0.5:554?timeout=0');
    expect(redactSecrets('Authorization: Basic YWRtaW46cGFzc3dvcmQ=')).toBe('Authorization: Basic ***');
  });

  it('hides registered secrets wherever they appear, also alone and percent-encoded', () => {
    registerUrlSecrets('rtsp://viewer:Zq%2Fsecret-9x@cam/stream');
    expect(redactSecrets('auth failed for password Zq/secret-9x (Zq%2Fsecret-9x)')).toBe('auth failed for password *** (***)');
    registerSecret('tok-0123456789abcdef');
    expect(redactSecrets('Bearer tok-0123456789abcdef')).toBe('Bearer ***');
    registerSecret('abc'); // too short to match by value: ordinary words would go
    expect(redactSecrets('abc')).toBe('abc');
  });

  it('redactValue hides fields named like secrets and every string in depth; redactSource shows paths relative to their root', () => {
    const v = redactValue({ gateway: { token: 'abcdefabcdefabcdef1', host: '0.0.0.0' }, bus: { sasl: { username: 'svc', password: 'pw-1' } }, streams: [{ source: { url: 'rtsp://a:b@h/s' } }] });
    expect(v).toEqual({ gateway: { token: '***', host: '0.0.0.0' }, bus: { sasl: { username: 'svc', password: '***' } }, streams: [{ source: { url: 'rtsp://***@h/s' } }] });
    const roots = [{ dir: '/srv/data', label: 'data' }];
    expect(redactSource({ kind: 'csv', path: '/srv/data/udemy/c.csv' }, roots)).toEqual({ kind: 'csv', path: 'data/udemy/c.csv' });
    expect(redactSource({ kind: 'video-url', url: 'rtsp://a:b@h/s' })).toEqual({ kind: 'video-url', url: 'rtsp://***@h/s' });
    expect(displayPath('/etc/secret/file.wav', roots)).toBe('…/file.wav');
    expect(displayPath('/srv/database/x', roots)).toBe('…/x');
  });

  it('excerpt and jsonErrorSummary never carry more than a short escaped piece of the input', () => {
    expect(excerpt('root:x:0:0:root:/root:/bin/bash', 8)).toBe('"root:x:0"…');
    expect(excerpt('a"\u0007b')).toBe('"a\\"\\u0007b"');
    let err: unknown;
    try {
      JSON.parse('root:x:0:0:root:/root:/bin/bash');
    } catch (e) {
      err = e;
    }
    expect((err as Error).message).toContain('root:x'); // V8 quotes the input ...
    expect(jsonErrorSummary(err)).toBe('unexpected character "r"'); // ... the summary does not
  });
});

describe('every printer of a secret goes through it', () => {
  it('log lines: message, fields, errors and child bindings', () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk, _enc, cb) {
        lines.push(String(chunk));
        cb();
      },
    });
    const log = createLogger(sink, 'debug');
    registerSecret('s3cr3t-Pa55w0rd-log');
    log.child({ source: 'rtsp://cam:s3cr3t-Pa55w0rd-log@h/s' }).warn({ err: 'rtsp://cam:s3cr3t-Pa55w0rd-log@h/s: 401 Unauthorized', token: 'whatever-it-is-000' }, 'failed rtsp://cam:s3cr3t-Pa55w0rd-log@h/s');
    log.error(new Error('ffmpeg said s3cr3t-Pa55w0rd-log'), 'boom');
    const text = lines.join('');
    expect(lines.length).toBe(2);
    expect(text).not.toContain('s3cr3t-Pa55w0rd-log');
    expect(text).not.toContain('whatever-it-is-000');
    expect(text).toContain('rtsp://***@h/s');
  });

  it('/metrics label values', async () => {
    const c = new Counter({ name: 'streamlens_test_redact_total', help: 'test', labelNames: ['where'], registers: [registry] });
    c.inc({ where: 'rtsp://cam:label-Secret-77@h/s' });
    const text = await metricsText();
    registry.removeSingleMetric('streamlens_test_redact_total');
    expect(text).toContain('streamlens_test_redact_total{where="rtsp://***@h/s"} 1');
    expect(text).not.toContain('label-Secret-77');
  });

  it('reports (HTML and JSON)', async () => {
    const report = { title: 'run', generatedAt: '2025-01-01T00:00:00Z', sections: [{ kind: 'text' as const, title: 'source', text: 'trained from https://u:report-Secret-1@h/data.csv' }] };
    const html = await renderReportHtml(report);
    expect(html).toContain('https://***@h/data.csv');
    expect(html).not.toContain('report-Secret-1');
    expect(JSON.stringify(reportJson(report))).not.toContain('report-Secret-1');
  });

  it('streamlens config: tokens, URL credentials and passwords print as ***', () => {
    const config = parseConfig({
      gateway: { token: 'gateway-token-0123456789', metricsToken: 'metrics-token-0123456789' },
      streams: [{ id: 'cam', source: { kind: 'video-url', url: 'rtsp://admin:cfg-Secret-5@cam/s' } }],
    });
    const text = JSON.stringify(redactConfig(config));
    for (const s of ['gateway-token-0123456789', 'metrics-token-0123456789', 'cfg-Secret-5']) expect(text).not.toContain(s);
    expect(text).toContain('rtsp://***@cam/s');
    expect(config.gateway.token).toBe('gateway-token-0123456789'); // the parsed config itself keeps them
  });

  it('a config file that does not parse: the error names the place, never its lines (they may hold a token)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'streamlens-badcfg-'));
    try {
      writeFileSync(join(dir, 'c.yaml'), 'gateway:\n  token: "yaml-Secret-token-0123\n  port: 1\n');
      writeFileSync(join(dir, 'c.json'), '{"gateway": {"token": "json-Secret-token-0123", }}');
      expect(() => loadConfigFile(join(dir, 'c.yaml'))).toThrow(/c\.yaml is not valid YAML: .* at line \d+, column \d+$/);
      expect(() => loadConfigFile(join(dir, 'c.json'))).toThrow(/c\.json is not valid JSON: /);
      for (const f of ['c.yaml', 'c.json']) {
        try {
          loadConfigFile(join(dir, f));
        } catch (e) {
          expect((e as Error).message).not.toMatch(/Secret-token/);
        }
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
