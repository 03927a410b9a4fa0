import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { clockTime, fmtNum, h } from './dom.js';
import type { SystemStats } from './types.js';

const WINDOW = 120; // samples (stats arrive once a second)

/** The system panel: per-stage throughput, latency, batch sizes, drops, dead letters, lag, model versions. */
export class SystemPanel {
  readonly el: HTMLElement;
  private readonly kpis: HTMLElement;
  private readonly table: HTMLTableSectionElement;
  private readonly models: HTMLElement;
  private readonly chartBox: HTMLElement;
  private chart: uPlot | undefined;
  private readonly series: [number[], number[], number[], number[]] = [[], [], [], []];

  constructor() {
    this.kpis = h('div', { class: 'kpis' });
    this.table = h('tbody');
    this.models = h('div', { class: 'models-line' });
    this.chartBox = h('div', { class: 'chart', 'aria-label': 'latency and throughput over the last two minutes' });
    this.el = h(
      'section',
      { class: 'panel system', 'aria-label': 'system' },
      h('h2', { text: 'System' }),
      this.kpis,
      this.chartBox,
      h('div', { class: 'table-wrap' }, h('table', {}, h('thead', {}, h('tr', {}, ...['stage', 'msg/s', 'in', 'out', 'batch', 'dead-lettered', 'lag'].map((t) => h('th', { text: t })))), this.table)),
      this.models,
    );
    // Follow the panel's width (phone rotation, window resize) without waiting for the next stats.
    new ResizeObserver(() => {
      const width = Math.max(260, this.chartBox.clientWidth);
      if (this.chart && Math.abs(this.chart.width - width) > 4) this.chart.setSize({ width, height: 160 });
    }).observe(this.chartBox);
  }

  update(s: SystemStats): void {
    const throughput = s.stages.reduce((a, st) => Math.max(a, st.ratePerSec), 0);
    const lag = s.stages.reduce((a, st) => a + st.lag, 0);
    const kpi = (label: string, value: string, title?: string) => h('div', { class: 'kpi', title }, h('div', { class: 'kpi-value', text: value }), h('div', { class: 'kpi-label', text: label }));
    this.kpis.replaceChildren(
      kpi('latency p50', `${fmtNum(s.latencyMs.p50, 0)} ms`, 'end-to-end, capture to prediction, last minute'),
      kpi('latency p99', `${fmtNum(s.latencyMs.p99, 0)} ms`),
      kpi('peak msg/s', fmtNum(throughput)),
      kpi('dropped', fmtNum(s.dropped, 0), 'items shed on purpose under backpressure'),
      kpi('dead-lettered', fmtNum(s.deadLettered, 0)),
      kpi(s.bus === 'kafka' ? 'consumer lag' : 'backlog', fmtNum(lag, 0)),
    );
    this.table.replaceChildren(
      ...s.stages.map((st) =>
        h('tr', {}, h('td', { text: st.stage }), h('td', { text: fmtNum(st.ratePerSec) }), h('td', { text: fmtNum(st.messagesIn, 0) }), h('td', { text: fmtNum(st.messagesOut, 0) }), h('td', { text: fmtNum(st.batchSizeMean) }), h('td', { text: fmtNum(st.deadLettered, 0) }), h('td', { text: fmtNum(st.lag, 0) })),
      ),
    );
    this.models.replaceChildren(h('span', { text: `bus: ${s.bus} · up ${fmtNum(s.uptimeSec / 60)} min · models: ` }), ...s.models.map((m) => h('span', { class: 'chip', text: `${m.name} ${m.version ? `v${m.version}` : '(none)'}` })));
    const [t, p50, p99, rate] = this.series;
    t.push(s.at / 1000);
    p50.push(s.latencyMs.p50);
    p99.push(s.latencyMs.p99);
    rate.push(throughput);
    if (t.length > WINDOW) for (const a of this.series) a.shift();
    this.draw();
  }

  private draw(): void {
    const width = Math.max(260, this.chartBox.clientWidth || 300);
    if (!this.chart) {
      if (!this.chartBox.isConnected) return;
      this.chart = new uPlot(
        {
          width,
          height: 160,
          legend: { show: true, live: false },
          cursor: { show: false },
          scales: { x: { time: true }, ms: { auto: true }, rate: { auto: true } },
          axes: [
            // Whole seconds apart at least, labelled HH:MM:SS (uPlot's default reads ":20.000 :20.200" on a short window).
            { stroke: '#9aa5b1', grid: { stroke: '#2a313c' }, space: 70, incrs: [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600], values: (_u, v) => v.map((x) => clockTime(x)) },
            { scale: 'ms', stroke: '#9aa5b1', grid: { stroke: '#2a313c' }, values: (_u, v) => v.map((x) => `${x} ms`), size: 60 },
            { scale: 'rate', side: 1, stroke: '#9aa5b1', grid: { show: false }, values: (_u, v) => v.map((x) => `${x}/s`), size: 50 },
          ],
          series: [{}, { label: 'p50', scale: 'ms', stroke: '#4fb3bf', width: 2 }, { label: 'p99', scale: 'ms', stroke: '#e5484d', width: 2 }, { label: 'msg/s', scale: 'rate', stroke: '#f5c542', width: 1 }],
        },
        this.series,
        this.chartBox,
      );
    } else {
      if (Math.abs(this.chart.width - width) > 4) this.chart.setSize({ width, height: 160 });
      this.chart.setData(this.series);
    }
  }
}
