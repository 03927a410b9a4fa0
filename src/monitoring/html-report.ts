import type { DriftReport } from './detect.js';
import { type ModelReference, type ObservationBatch, OTHER_CATEGORY } from './reference.js';
import { histogram } from './stats.js';

const esc = (s: string): string => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** Grouped bars: reference vs batch share per bin (numeric) or category. */
function barsSvg(bins: string[], ref: number[], batch: number[]): string {
  const w = 520;
  const h = 180;
  const pad = 30;
  const max = Math.max(1e-9, ...ref, ...batch);
  const bw = (w - 2 * pad) / bins.length;
  const bar = (v: number, i: number, k: number, color: string) => {
    const bh = (v / max) * (h - 2 * pad);
    return `<rect x="${(pad + i * bw + k * bw * 0.45 + bw * 0.05).toFixed(1)}" y="${(h - pad - bh).toFixed(1)}" width="${(bw * 0.4).toFixed(1)}" height="${bh.toFixed(1)}" fill="${color}"><title>${k ? 'batch' : 'reference'} ${esc(bins[i])}: ${(v * 100).toFixed(1)} %</title></rect>`;
  };
  const labels = bins.map((b, i) => `<text x="${(pad + (i + 0.5) * bw).toFixed(1)}" y="${h - pad + 12}" font-size="8" text-anchor="middle">${esc(b)}</text>`).join('');
  return `<svg width="${w}" height="${h}" role="img">${ref.map((v, i) => bar(v, i, 0, '#4c78a8')).join('')}${batch.map((v, i) => bar(v, i, 1, '#e45756')).join('')}${labels}<line x1="${pad}" y1="${h - pad}" x2="${w - pad}" y2="${h - pad}" stroke="#333"/></svg>`;
}

/** Self-contained HTML (no scripts, no external assets): the summary table and reference-vs-batch charts of the drifting features. */
export function renderDriftReportHtml(ref: ModelReference, batch: ObservationBatch, r: DriftReport): string {
  const rows = r.features
    .map((f) => `<tr class="${f.drift ? 'drift' : ''}"><td>${esc(f.name)}</td><td>${f.score.toFixed(3)}</td><td>${f.level}</td><td>${f.test.name}</td><td>${f.test.adjustedP.toExponential(2)}</td><td>${f.distance.value.toFixed(3)}</td><td>${f.drift ? 'yes' : 'no'}</td></tr>`)
    .join('');
  const charts = ref.features
    .filter((f) => r.features.find((x) => x.name === f.name)?.drift)
    .map((f) => {
      if (f.kind === 'numeric') {
        const counts = histogram(batch.numeric[f.name] ?? [], f.edges);
        const n = Math.max(1, counts.reduce((a, b) => a + b, 0));
        const bins = counts.map((_, i) => (i === 0 ? `≤${f.edges[0]?.toPrecision(3) ?? ''}` : `>${f.edges[i - 1].toPrecision(3)}`));
        return `<h3>${esc(f.name)}</h3>${barsSvg(bins, f.shares, counts.map((c) => c / n))}`;
      }
      const values = batch.categorical[f.name] ?? [];
      const counts = f.categories.map((c) => values.filter((v) => v === c || (c === OTHER_CATEGORY && !f.categories.includes(v))).length);
      const n = Math.max(1, values.length);
      return `<h3>${esc(f.name)}</h3>${barsSvg(f.categories, f.shares, counts.map((c) => c / n))}`;
    })
    .join('');
  const p = r.predictions;
  const pred = p
    ? `<h2>Predictions</h2><p>label PSI ${p.labelPsi.toFixed(3)}, Jensen-Shannon ${p.labelJensenShannon.toFixed(3)}, largest share change ${(p.maxShareChange * 100).toFixed(1)} points, mean confidence ${p.meanConfidence.reference.toFixed(3)} → ${p.meanConfidence.batch.toFixed(3)}, unknown rate ${(p.unknownRate.reference * 100).toFixed(1)} % → ${(p.unknownRate.batch * 100).toFixed(1)} %: drift ${p.drift ? 'yes' : 'no'}</p>${barsSvg(p.labels.map((l) => l.name), p.labels.map((l) => l.reference), p.labels.map((l) => l.batch))}`
    : '';
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Drift report: ${esc(r.model)} v${esc(r.version)}</title>
<style>body{font:14px system-ui,sans-serif;margin:2em}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:2px 8px}tr.drift{background:#fde2e1}</style></head><body>
<h1>Drift report: ${esc(r.model)} v${esc(r.version)} (${esc(r.media)})</h1>
<p>Drift: <b>${r.drift ? 'yes' : 'no'}</b>. ${r.observations} observations vs ${ref.source.observations} in the reference (${esc(ref.source.split)}). A feature drifts when PSI ≥ ${r.options.psiThreshold} and its test (KS or chi-squared, Holm-corrected over ${r.features.length + (p ? 1 : 0)} tests) gives p &lt; ${r.options.alpha}. Bars: <span style="color:#4c78a8">reference</span> vs <span style="color:#e45756">batch</span>.</p>
<table><thead><tr><th>feature</th><th>PSI</th><th>level</th><th>test</th><th>adjusted p</th><th>distance</th><th>drift</th></tr></thead><tbody>${rows}</tbody></table>
${charts ? `<h2>Drifting features</h2>${charts}` : '<p>No feature drifts.</p>'}
${pred}
</body></html>
`;
}
