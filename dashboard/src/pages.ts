import { api } from './api.js';
import { h } from './dom.js';
import type { ModelSummary } from './types.js';

type Evaluation = ModelSummary['versions'][number]['evaluation'][number];

const pct3 = (x: number | undefined) => (x === undefined ? '–' : `${(x * 100).toFixed(1)}%`);

/** One evaluation: accuracy, macro-F1 and per-class recall, with the held-out split it came from. */
function evaluationView(e: Evaluation): HTMLElement {
  const recall = e.recall ? Object.entries(e.recall).map(([k, v]) => `${k} ${pct3(v)}`).join(' · ') : '';
  return h(
    'div',
    { class: 'evaluation' },
    h('span', { text: `${e.task ? `${e.task}: ` : ''}accuracy ${pct3(e.accuracy)} · macro-F1 ${pct3(e.macroF1)}` }),
    h('span', { class: 'split', text: ` — ${e.split}` }),
    recall ? h('div', { class: 'recall', text: `recall: ${recall}` }) : null,
  );
}

/** #/models: every model and version, the one being served, key metrics and a link to its report. */
export async function modelsPage(root: HTMLElement): Promise<void> {
  root.replaceChildren(h('section', { class: 'panel' }, h('h2', { text: 'Models' }), h('p', { text: 'loading…' })));
  let models: ModelSummary[];
  try {
    models = (await api<{ models: ModelSummary[] }>('/api/models')).models;
  } catch (e) {
    root.replaceChildren(h('section', { class: 'panel' }, h('h2', { text: 'Models' }), h('p', { class: 'error', text: `cannot list models: ${(e as Error).message}` })));
    return;
  }
  root.replaceChildren(
    h(
      'section',
      { class: 'panel' },
      h('h2', { text: 'Models' }),
      models.length === 0 ? h('p', { text: 'No models in the repository yet: train one (see the README).' }) : null,
      ...models.map((m) =>
        h(
          'article',
          { class: 'model-card' },
          h('h3', { text: `${m.name}${m.serving ? ` — serving v${m.serving}` : m.servingSource === 'this process' ? ' — none loaded' : ''}` }),
          m.servingSource === 'this process' ? null : h('p', { class: 'muted', text: `Serving version: ${m.servingSource}` }),
          h(
            'ul',
            {},
            ...m.versions.map((v) =>
              h(
                'li',
                { 'data-version': v.version },
                h('strong', { text: `v${v.version}` }),
                ` ${v.task} · ${v.created.slice(0, 10)}`,
                v.error ? h('span', { class: 'error', text: ` (${v.error})` }) : null,
                ' ',
                v.report ? h('a', { href: `/reports/${encodeURIComponent(m.name)}/${encodeURIComponent(v.version)}`, target: '_blank', rel: 'noopener', text: 'report' }) : null,
                h('div', { class: 'serves', text: v.streams.length > 0 ? `serves: ${v.streams.join(', ')}` : 'serves no stream' }),
                ...(v.evaluation.length > 0 ? v.evaluation.map(evaluationView) : [h('div', { class: 'muted', text: 'no evaluation recorded in its manifest' })]),
              ),
            ),
          ),
        ),
      ),
    ),
  );
}

/** #/courses: the course analysis report (written by the analysis command into the report folder). */
export async function coursesPage(root: HTMLElement): Promise<void> {
  const res = await fetch('/reports/courses/', { method: 'HEAD' }).catch(() => undefined);
  if (!res || !res.ok) {
    const status = h('p', { class: 'muted', role: 'status' });
    const button = h('button', {
      type: 'button',
      class: 'write-course-report',
      text: 'Write the report now',
      onclick: async () => {
        button.disabled = true;
        status.textContent = 'Analysing the course data (about half a minute)…';
        try {
          await api('/api/reports/courses', { method: 'POST' });
          await coursesPage(root);
        } catch (e) {
          status.textContent = `Could not write the report: ${(e as Error).message}`;
          button.disabled = false;
        }
      },
    });
    root.replaceChildren(
      h(
        'section',
        { class: 'panel' },
        h('h2', { text: 'Course analysis' }),
        h('p', {}, 'No course analysis report yet. Write it here, or run ', h('code', { text: 'npx streamlens analyze courses --out reports/courses' }), ' (it writes reports/courses/report.html) and reload this tab.'),
        button,
        status,
      ),
    );
    return;
  }
  root.replaceChildren(
    h('section', { class: 'panel report' }, h('h2', {}, 'Course analysis ', h('a', { href: '/reports/courses/', target: '_blank', rel: 'noopener', text: 'open in a new tab' })), h('iframe', { src: '/reports/courses/', title: 'course analysis report', class: 'report-frame' })),
  );
}
