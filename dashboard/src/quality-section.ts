import { h } from './dom.js';
import { chart } from './line-chart.js';
// Wire types of GET /api/feedback and GET /api/monitoring (type-only: nothing of the server is bundled).
import type { VersionQuality } from '../../src/monitoring/live-quality.js';
import type { ShadowSummary as Shadow } from '../../src/monitoring/shadow-agreement.js';
import type { ConfusionMatrix } from '../../src/analysis/confusion.js';

export type { Shadow, VersionQuality };

/** A confusion matrix as a table: rows `rows` (true label / served answer), columns `cols` (predicted / shadow). */
function confusionTable(cm: ConfusionMatrix, rows: string, cols: string): HTMLTableElement {
  return h(
    'table',
    { class: 'confusion', 'aria-label': `confusion matrix: rows ${rows}, columns ${cols}` },
    h('thead', {}, h('tr', {}, h('th', { text: `${rows} \\ ${cols}` }), ...cm.labels.map((l) => h('th', { scope: 'col', text: l })))),
    h(
      'tbody',
      {},
      ...cm.labels.map((l, i) => h('tr', { 'data-label': l }, h('th', { scope: 'row', text: l }), ...cm.counts[i].map((n, j) => h('td', { class: i === j ? 'diag' : '', 'data-predicted': cm.labels[j], text: String(n) })))),
    ),
  );
}

const pct1 = (x: number) => `${(x * 100).toFixed(1)} %`;

/** Live quality per model version from feedback: accuracy (95 % Wilson interval), rolling accuracy over time, confusion matrix. */
export function qualitySection(versions: VersionQuality[]): HTMLElement {
  return h(
    'section',
    { class: 'quality' },
    h('h3', { text: 'Live quality from feedback' }),
    versions.length === 0
      ? h('p', { class: 'no-feedback', text: 'No feedback yet: answer "right?" on a prediction in the Live view, or POST /api/feedback {"predictionId","label"}.' })
      : null,
    ...versions.map((v) =>
      h(
        'article',
        { class: 'quality-card', 'data-quality': `${v.model}/${v.version}` },
        h('h4', { text: `${v.model} v${v.version}` }),
        h('p', {
          class: 'quality-summary',
          text: `accuracy ${pct1(v.share)} (95 % CI ${pct1(v.interval.low)}–${pct1(v.interval.high)}) on ${v.n} feedback${v.n === 1 ? '' : 's'}; last ${Math.min(v.n, v.rollingWindow)}: ${pct1(v.rolling)}`,
        }),
        chart(v.history, (p) => p.rolling, undefined, `accuracy, last ${v.rollingWindow}`, 1.05),
        confusionTable(v.confusion, 'true', 'predicted'),
      ),
    ),
  );
}

/** Served vs shadow version per model: agreement over time and the matrix of their answers. */
export function shadowSection(shadows: Shadow[]): HTMLElement {
  return h(
    'section',
    { class: 'shadows' },
    h('h3', { text: 'Shadow versions' }),
    shadows.length === 0 ? h('p', { text: 'No shadow version scores in this process (config models.<name>.shadow; with Kafka workers: their /metrics, streamlens_shadow_agreement).' }) : null,
    ...shadows.map((s) =>
      h(
        'article',
        { class: 'shadow-card', 'data-shadow': `${s.model}/${s.served}/${s.shadow}` },
        h('h4', { text: `${s.model}: served v${s.served}, shadow v${s.shadow}` }),
        h('p', { class: 'shadow-summary', text: `agreement ${pct1(s.share)} on ${s.n} items (last ${Math.min(s.n, s.rollingWindow)}: ${pct1(s.rolling)})${s.kappa === null ? '' : `, Cohen's kappa ${s.kappa.toFixed(3)}`}` }),
        chart(s.history, (p) => p.rolling, undefined, 'agreement', 1.05),
        confusionTable(s.confusion, 'served', 'shadow'),
      ),
    ),
  );
}
