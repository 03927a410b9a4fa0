import { afterEach, describe, expect, it, vi } from 'vitest';
import { barChart, renderSvg } from '../../src/analysis/charts.js';

/** Issue 24 point 4: no chart-library warnings in normal use (they go to the debug log). */
describe('chart rendering is quiet', () => {
  afterEach(() => vi.restoreAllMocks());

  it('a sorted bar chart with error bars (Vega-Lite drops the sort of the unioned domain) prints nothing', async () => {
    const printed: string[] = [];
    for (const m of ['log', 'warn', 'error', 'info'] as const) vi.spyOn(console, m).mockImplementation((...a: unknown[]) => void printed.push(a.join(' ')));
    vi.spyOn(process.stderr, 'write').mockImplementation((s) => (printed.push(String(s)), true));
    const spec = barChart(
      [
        { label: 'a', value: 1, interval: [0.5, 1.5] },
        { label: 'b', value: 2, interval: [1, 3] },
      ],
      { title: 'importances', horizontal: true },
    );
    const svg = await renderSvg(spec);
    expect(svg).toMatch(/^<svg/);
    expect(printed.join('\n')).not.toMatch(/WARN|Dropping sort/);
  });
});
