import { api } from './api.js';
import { h } from './dom.js';
import type { ModelSummary } from './types.js';

function metricText(metrics: Record<string, unknown>): string {
  return Object.entries(metrics)
    .filter(([, v]) => typeof v === 'number')
    .slice(0, 4)
    .map(([k, v]) => `${k} ${(v as number).toFixed(3)}`)
    .join(' · ');
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
          h('h3', { text: `${m.name}${m.serving ? ` — serving v${m.serving}` : ' — none loaded'}` }),
          h(
            'ul',
            {},
            ...m.versions.map((v) =>
              h(
                'li',
                {},
                h('strong', { text: `v${v.version}` }),
                ` ${v.task} · ${v.created.slice(0, 10)} · ${metricText(v.metrics)}`,
                v.error ? h('span', { class: 'error', text: ` (${v.error})` }) : null,
                ' ',
                v.report ? h('a', { href: `/reports/${encodeURIComponent(m.name)}/${encodeURIComponent(v.version)}`, target: '_blank', rel: 'noopener', text: 'report' }) : null,
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
    root.replaceChildren(h('section', { class: 'panel' }, h('h2', { text: 'Course analysis' }), h('p', {}, 'No course analysis report yet. Run ', h('code', { text: 'npx streamlens analyze courses --out reports/courses' }), ' (it writes reports/courses/report.html), then reload this tab.')));
    return;
  }
  root.replaceChildren(
    h('section', { class: 'panel report' }, h('h2', {}, 'Course analysis ', h('a', { href: '/reports/courses/', target: '_blank', rel: 'noopener', text: 'open in a new tab' })), h('iframe', { src: '/reports/courses/', title: 'course analysis report', class: 'report-frame' })),
  );
}
