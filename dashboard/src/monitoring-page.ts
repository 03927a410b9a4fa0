import { api } from './api.js';
import { h } from './dom.js';
import { chart } from './line-chart.js';
import { qualitySection, shadowSection, type Shadow, type VersionQuality } from './quality-section.js';

interface Point { at: number; score: number; driftingFeatures: number; drift: boolean; predictionShareChange: number; unknownRate: number; meanConfidence: number; drifting: string[] }
interface Monitor { stream: string; model: string; version: string; history: Point[]; features: { name: string; score: number; drift: boolean }[] }
interface Alert { alert: string; severity: string; stream: string; model: string; version: string; since: number; summary: string }

const REFRESH_MS = 5000;
let generation = 0;

/** #/monitoring: drift history per stream and model, the latest feature scores and the firing alerts. */
export async function monitoringPage(root: HTMLElement): Promise<void> {
  const mine = ++generation;
  let data: { enabled: boolean; monitors: Monitor[]; alerts: Alert[]; shadows?: Shadow[] };
  let feedback: { versions: VersionQuality[] };
  try {
    [data, feedback] = await Promise.all([api<typeof data>('/api/monitoring'), api<typeof feedback>('/api/feedback')]);
  } catch (e) {
    root.replaceChildren(h('section', { class: 'panel' }, h('h2', { text: 'Monitoring' }), h('p', { class: 'error', text: `cannot read monitoring: ${(e as Error).message}` })));
    return;
  }
  const section = h(
      'section',
      { class: 'panel monitoring' },
      h('h2', { text: 'Monitoring' }),
      qualitySection(feedback.versions),
      shadowSection(data.shadows ?? []),
      h('h3', { text: 'Drift' }),
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
    );
  root.replaceChildren(section);
  // History over time: the view refreshes itself while it is shown.
  setTimeout(() => {
    if (section.isConnected && mine === generation) void monitoringPage(root);
  }, REFRESH_MS);
}
