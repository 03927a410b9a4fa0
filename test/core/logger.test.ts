import { afterEach, describe, expect, it } from 'vitest';
import { formatLogLine, logFormat } from '../../src/core/logger.js';

/** Issue 24 point 4: human-readable logs in a terminal, JSON when not a TTY or with LOG_FORMAT=json. */
describe('log format', () => {
  const saved = { format: process.env.LOG_FORMAT, tty: process.stderr.isTTY };
  afterEach(() => {
    if (saved.format === undefined) delete process.env.LOG_FORMAT;
    else process.env.LOG_FORMAT = saved.format;
    Object.defineProperty(process.stderr, 'isTTY', { value: saved.tty, configurable: true });
  });

  it('pretty in a terminal, JSON otherwise; LOG_FORMAT overrides both ways', () => {
    delete process.env.LOG_FORMAT;
    Object.defineProperty(process.stderr, 'isTTY', { value: true, configurable: true });
    expect(logFormat()).toBe('pretty');
    process.env.LOG_FORMAT = 'json';
    expect(logFormat()).toBe('json');
    Object.defineProperty(process.stderr, 'isTTY', { value: undefined, configurable: true });
    delete process.env.LOG_FORMAT;
    expect(logFormat()).toBe('json');
    process.env.LOG_FORMAT = 'pretty';
    expect(logFormat()).toBe('pretty');
  });

  it('formats a pino line as time, level, component, message and fields', () => {
    const line = JSON.stringify({ level: 40, time: Date.UTC(2024, 0, 2, 13, 4, 5, 123), pid: 1, hostname: 'h', app: 'streamlens', component: 'onnx', model: 'emotion', note: 'two words', err: { message: 'boom' }, msg: 'slow load' });
    expect(formatLogLine(line)).toBe('13:04:05.123 WARN  onnx: slow load model=emotion note="two words" err="boom"\n');
    expect(formatLogLine('not json')).toBe('not json\n');
  });
});
