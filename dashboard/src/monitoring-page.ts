import { api } from './api.js';
import { h } from './dom.js';

interface Point { at: number; score: number; driftingFeatures: number; drift: boolean; predictionShareChange: number; unknownRate: number; meanConfidence: number; drifting: string[] }
interface Monitor { stream: string; model: string; version: string; history: Point[]; features: { name: string; score: number; drift: boolean }[] }
interface Alert { alert: string; severity: string; stream: string; model: string; version: string; since: number; summary: string }

const SVG = 'http://www.w3.org/2000/svg';

/** A line chart of one series over time, with a dashed threshold line. */
function chart(points: Point[], value: (p: Point) => number, threshold: number | undefined, title: string): SVGSVGElement {
  const w = 320;
  const hgt = 90;
  const svg = document.createElementNS(SVG, 'svg');
  svg.setAttribute('viewBox', `0 0 ${w} ${hgt}`);
  svg.setAttribute('class', 'mon-chart');
  svg.setAttribute('role', 'img');
  svg.setAttribute('aria-label', title);
  const vals = points.map(value);
  const max = Math.max(threshold ?? 0, ...vals, 1e-9) * 1.1;
  const t0 = points[0]?.at ?? 0;
  const t1 = Math.max(t0 + 1, points[points.length - 1]?.at ?? 1);
  const x = (t: number) => 4 + ((t - t0) / (t1 - t0)) * (w - 8);
  const y = (v: number) => hgt - 14 - (v / max) * (hgt - 24);
  const line = document.createElementNS(SVG, 'polyline');
  line.setAttribute('points', points.map((p, i) => `${x(p.at).toFixed(1)},${y(vals[i]).toFixed(1)}`).join(' '));
  line.setAttribute('fill', 'none');
  line.setAttribute('stroke', '#4c78a8');
  line.setAttribute('stroke-width', '2');
  svg.append(line);
  if (threshold !== undefined) {
    const th = document.createElementNS(SVG, 'line');
    th.setAttribute('x1', '0');
    th.setAttribute('x2', String(w));
    th.setAttribute('y1', y(threshold).toFixed(1));
    th.setAttribute('y2', y(threshold).toFixed(1));
    th.setAttribute('stroke', '#e45756');
    th.setAttribute('stroke-dasharray', '4 3');
    svg.append(th);
  }
  const label = document.createElementNS(SVG, 'text');
  label.setAttribute('x', '4');
  label.setAttribute('y', String(hgt - 2));
  label.setAttribute('font-size', '10');
  label.textContent = `${title}: ${vals.length ? vals[vals.length - 1].toFixed(3) : '–'}`;
  svg.append(label);
  return svg;
}

/** #/monitoring: drift history per stream and model, the latest feature scores and the firing alerts. */
export async function monitoringPage(root: HTMLElement): Promise<void> {
  let data: { enabled: boolean; monitors: Monitor[]; alerts: Alert[] };
  try {
    data = await api('/api/monitoring');
  } catch (e) {
    root.replaceChildren(h('section', { class: 'panel' }, h('h2', { text: 'Monitoring' }), h('p', { class: 'error', text: `cannot read monitoring: ${(e as Error).message}` })));
    return;
  }
  root.replaceChildren(
    h(
      'section',
      { class: 'panel monitoring' },
      h('h2', { text: 'Monitoring' }),
      h('p', { text: 'Drift of each stream against its model version\'s training reference (PSI ≥ 0.25 and Holm-corrected test p < 0.05). Runbook: docs/MONITORING.md.' }),
      h('h3', { text: `Firing alerts (${data.alerts.length})` }),
      data.alerts.length === 0
        ? h('p', { class: 'no-alerts', text: 'No alert is firing.' })
        : h('ul', { class: 'alerts' }, ...data.alerts.map((a) => h('li', { class: `alert ${a.severity}`, text: `${a.alert} [${a.severity}] ${a.stream} · ${a.model} v${a.version}: ${a.summary} (since ${new Date(a.since).toLocaleTimeString()})` }))),
      !data.enabled ? h('p', { text: 'Live monitoring is off (STREAMLENS_MONITORING=off).' }) : null,
      data.monitors.length === 0 ? h('p', { text: 'No monitoring window has been evaluated yet (each needs 300 items).' }) : null,
      ...data.monitors.map((m) =>
        h(
          'article',
          { class: 'monitor-card', 'data-monitor': `${m.stream}/${m.model}` },
          h('h3', { text: `${m.stream} · ${m.model} v${m.version}${m.history.at(-1)?.drift ? ' — drifting' : ''}` }),
          chart(m.history, (p) => p.score, 0.25, 'drift score (max PSI)'),
          chart(m.history, (p) => p.driftingFeatures, undefined, 'drifting features'),
          chart(m.history, (p) => p.predictionShareChange, undefined, 'prediction share change'),
          chart(m.history, (p) => p.meanConfidence, undefined, 'mean confidence'),
          h(
            'table',
            { class: 'mon-features' },
            h('thead', {}, h('tr', {}, h('th', { text: 'feature' }), h('th', { text: 'PSI' }), h('th', { text: 'drift' }))),
            h('tbody', {}, ...m.features.map((f) => h('tr', { class: f.drift ? 'drift' : '' }, h('td', { text: f.name }), h('td', { text: f.score.toFixed(3) }), h('td', { text: f.drift ? 'yes' : 'no' })))),
          ),
        ),
      ),
    ),
  );
}
