/**
 * Self-contained run reports: one HTML file (inline CSS, charts embedded as data: URLs, no scripts and no
 * external resources, enforced by a Content-Security-Policy) plus the same content as JSON.
 * All text is HTML-escaped.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { BootstrapInterval } from './bootstrap.js';
import { redactSecrets, redactValue } from '../core/redact.js';
import { renderSvg, svgToPng, type ChartSpec } from './charts.js';
import type { ClassificationReport } from './classification.js';

/** A table cell or key-value value. */
export type ReportValue = string | number | boolean | null;

/** One reported number, optionally with a confidence interval and unit. */
export interface ReportMetric {
  name: string;
  value: number;
  /** [lower, upper] confidence interval. */
  interval?: [number, number];
  /** Confidence level of the interval, e.g. 0.95. */
  confidence?: number;
  unit?: string;
  /** Significant digits shown in HTML (default 4); JSON keeps full precision. */
  digits?: number;
}

/** Report building blocks. */
export type ReportSection =
  | { kind: 'text'; title?: string; text: string }
  | { kind: 'keyValue'; title?: string; entries: Record<string, ReportValue> }
  | { kind: 'table'; title?: string; caption?: string; columns: string[]; rows: ReportValue[][] }
  | { kind: 'chart'; title?: string; caption?: string; spec: ChartSpec; format?: 'svg' | 'png' }
  | { kind: 'metrics'; title?: string; metrics: ReportMetric[] };

/** A whole report. */
export interface Report {
  title: string;
  /** ISO time; defaults to now. */
  generatedAt?: string;
  sections: ReportSection[];
}

/** Escape text for HTML element content and attribute values (credentials redacted: src/core/redact.ts). */
export function escapeHtml(text: string): string {
  return redactSecrets(text).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

/** Format a number for display: integers as-is, others to `digits` significant digits. */
export function formatNumber(value: number, digits = 4): string {
  if (Number.isNaN(value)) return 'NaN';
  if (!Number.isFinite(value)) return value > 0 ? '∞' : '−∞';
  if (Number.isInteger(value)) return String(value);
  const abs = Math.abs(value);
  if (abs !== 0 && (abs < 1e-4 || abs >= 1e6)) return value.toExponential(digits - 1);
  return String(Number(value.toPrecision(digits)));
}

function cell(value: ReportValue): string {
  if (value === null) return '<td class="na">—</td>';
  if (typeof value === 'number') return `<td class="num">${escapeHtml(formatNumber(value))}</td>`;
  return `<td>${escapeHtml(String(value))}</td>`;
}

function metricText(m: ReportMetric): string {
  const d = m.digits ?? 4;
  const unit = m.unit ? ` ${m.unit}` : '';
  const ci = m.interval
    ? ` <span class="ci">(${m.confidence !== undefined ? `${formatNumber(m.confidence * 100, 3)}% CI ` : 'CI '}${formatNumber(m.interval[0], d)} – ${formatNumber(m.interval[1], d)})</span>`
    : '';
  return `${escapeHtml(formatNumber(m.value, d) + unit)}${ci}`;
}

const STYLE = `
body{font-family:"DejaVu Sans",Arial,sans-serif;margin:2rem auto;max-width:1100px;color:#222;padding:0 1rem}
h1{font-size:1.6rem;border-bottom:2px solid #4c78a8;padding-bottom:.3rem}
h2{font-size:1.2rem;margin-top:2rem}
table{border-collapse:collapse;margin:.5rem 0}
th,td{border:1px solid #ccc;padding:.25rem .6rem;text-align:left}
th{background:#f0f4f8}
td.num{text-align:right;font-variant-numeric:tabular-nums}
td.na{color:#999}
.ci{color:#555;font-size:.9em}
figure{margin:1rem 0}
figure img{max-width:100%;height:auto;border:1px solid #eee}
figcaption{color:#555;font-size:.9em}
p.meta{color:#666;font-size:.85em}
.text{white-space:pre-wrap}
`;

async function sectionHtml(section: ReportSection, index: number): Promise<string> {
  const heading = section.title ? `<h2>${escapeHtml(section.title)}</h2>` : '';
  switch (section.kind) {
    case 'text':
      return `<section>${heading}<p class="text">${escapeHtml(section.text)}</p></section>`;
    case 'keyValue': {
      const rows = Object.entries(section.entries)
        .map(([k, v]) => `<tr><th scope="row">${escapeHtml(k)}</th>${cell(v)}</tr>`)
        .join('');
      return `<section>${heading}<table class="kv">${rows}</table></section>`;
    }
    case 'table': {
      section.rows.forEach((r, i) => {
        if (r.length !== section.columns.length) {
          throw new Error(`report section ${index} row ${i} has ${r.length} cells for ${section.columns.length} columns`);
        }
      });
      const head = `<tr>${section.columns.map((c) => `<th scope="col">${escapeHtml(c)}</th>`).join('')}</tr>`;
      const body = section.rows.map((r) => `<tr>${r.map(cell).join('')}</tr>`).join('');
      const caption = section.caption ? `<caption>${escapeHtml(section.caption)}</caption>` : '';
      return `<section>${heading}<table>${caption}<thead>${head}</thead><tbody>${body}</tbody></table></section>`;
    }
    case 'metrics': {
      const rows = section.metrics.map((m) => `<tr><th scope="row">${escapeHtml(m.name)}</th><td class="num">${metricText(m)}</td></tr>`).join('');
      return `<section>${heading}<table class="metrics">${rows}</table></section>`;
    }
    case 'chart': {
      const svg = await renderSvg(section.spec);
      const src =
        (section.format ?? 'svg') === 'png'
          ? `data:image/png;base64,${(await svgToPng(svg, 2)).toString('base64')}`
          : `data:image/svg+xml;base64,${Buffer.from(svg).toString('base64')}`;
      const alt = section.title ?? (typeof section.spec.title === 'string' ? section.spec.title : 'chart');
      const caption = section.caption ? `<figcaption>${escapeHtml(section.caption)}</figcaption>` : '';
      return `<section>${heading}<figure><img src="${src}" alt="${escapeHtml(alt)}">${caption}</figure></section>`;
    }
    default:
      throw new Error(`unknown report section kind ${JSON.stringify((section as { kind: unknown }).kind)} at index ${index}`);
  }
}

/** Render a report to a self-contained HTML document. */
export async function renderReportHtml(report: Report): Promise<string> {
  if (!report.title) throw new Error('report title is required');
  const generatedAt = report.generatedAt ?? new Date().toISOString();
  const body = (await Promise.all(report.sections.map(sectionHtml))).join('\n');
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src data:; style-src 'unsafe-inline'">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(report.title)}</title>
<style>${STYLE}</style>
</head>
<body>
<h1>${escapeHtml(report.title)}</h1>
<p class="meta">Generated ${escapeHtml(generatedAt)} by streamlens</p>
${body}
</body>
</html>
`;
}

/** The report as JSON-ready data (charts keep their Vega-Lite spec; NaN/Infinity become null; credentials redacted). */
export function reportJson(report: Report): unknown {
  return redactValue(JSON.parse(JSON.stringify({ title: report.title, generatedAt: report.generatedAt ?? new Date().toISOString(), sections: report.sections })), 64);
}

/** Write `report.html` and `report.json` into `dir` (created if missing); returns both paths. */
export async function writeReport(dir: string, report: Report): Promise<{ htmlPath: string; jsonPath: string }> {
  const stamped = { ...report, generatedAt: report.generatedAt ?? new Date().toISOString() };
  const html = await renderReportHtml(stamped);
  await mkdir(dir, { recursive: true });
  const htmlPath = join(dir, 'report.html');
  const jsonPath = join(dir, 'report.json');
  await writeFile(htmlPath, html, 'utf8');
  await writeFile(jsonPath, `${JSON.stringify(reportJson(stamped), null, 2)}\n`, 'utf8');
  return { htmlPath, jsonPath };
}

/** Table section from a {@link classificationReport} result (per class rows plus averages). */
export function classificationReportSection(report: ClassificationReport, title = 'Classification report'): ReportSection {
  const row = (name: string, s: { precision: number; recall: number; f1: number; support: number }): ReportValue[] => [name, s.precision, s.recall, s.f1, s.support];
  return {
    kind: 'table',
    title,
    columns: ['class', 'precision', 'recall', 'F1', 'support'],
    rows: [
      ...report.perClass.map((p) => row(String(p.label), p)),
      ['accuracy', null, null, report.accuracy, report.n],
      row('micro avg', report.micro),
      row('macro avg', report.macro),
      row('weighted avg', report.weighted),
    ],
    caption: report.warnings.length ? report.warnings.join('; ') : undefined,
  };
}

/** A {@link ReportMetric} from a bootstrap interval. */
export function intervalMetric(name: string, ci: BootstrapInterval, unit?: string): ReportMetric {
  return { name, value: ci.estimate, interval: [ci.lower, ci.upper], confidence: ci.confidence, unit };
}
