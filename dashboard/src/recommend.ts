import { api } from './api.js';
import { h } from './dom.js';

/** Shapes of GET /api/recommendations and /api/recommendations/catalogue: the server's own types (type-only imports). */
import type { CatalogueStatus } from '../../src/recommend/http.js';
import type { RecommendationResult } from '../../src/recommend/recommender.js';

const POLL_MS = 3000;
const DEBOUNCE_MS = 300;

/**
 * #/recommend: a learner's form (what to learn, subject, level, budget, hours, free/paid) with
 * results that re-query as the form changes and when new courses reach the catalogue (the
 * catalogue version is polled while the page is shown). Errors show the server's message, which
 * names the bad field.
 */
export class RecommendPage {
  readonly el: HTMLElement;
  private readonly query = h('input', { name: 'query', placeholder: 'what do you want to learn? e.g. python web development', autocomplete: 'off', size: 40 });
  private readonly subject = h('select', { name: 'subject' }, h('option', { value: '', text: 'any subject' }));
  private readonly level = h('select', { name: 'level' }, h('option', { value: '', text: 'any level' }));
  private readonly maxPrice = h('input', { name: 'maxPrice', type: 'number', min: '0', step: '1', placeholder: 'max price', style: { width: '7rem' } });
  private readonly maxHours = h('input', { name: 'maxHours', type: 'number', min: '0.5', step: '0.5', placeholder: 'max hours', style: { width: '7rem' } });
  private readonly free = h('select', { name: 'free' }, h('option', { value: '', text: 'free or paid' }), h('option', { value: 'true', text: 'free only' }), h('option', { value: 'false', text: 'paid only' }));
  private readonly status = h('p', { class: 'empty' });
  private readonly error = h('div', { class: 'error', role: 'alert' });
  private readonly list = h('ol', { class: 'recommendations' });
  private timer: ReturnType<typeof setInterval> | undefined;
  private debounce: ReturnType<typeof setTimeout> | undefined;
  private version = -1;
  private subjectsShown = '';
  private request = 0;

  constructor() {
    const form = h('form', { class: 'add-stream' }, this.query, this.subject, this.level, this.maxPrice, this.maxHours, this.free);
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      void this.search();
    });
    form.addEventListener('input', () => this.schedule());
    form.addEventListener('change', () => this.schedule());
    this.el = h('section', { class: 'panel' }, h('h2', { text: 'Course recommendations' }), form, this.error, this.status, this.list);
  }

  /** Shows the page and starts following the catalogue. */
  show(root: HTMLElement): void {
    root.replaceChildren(this.el);
    if (!this.timer) {
      this.timer = setInterval(() => void this.poll(), POLL_MS);
      void this.poll();
    }
  }

  /** Stops polling (the page is not shown). */
  hide(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  private schedule(): void {
    if (this.debounce) clearTimeout(this.debounce);
    this.debounce = setTimeout(() => void this.search(), DEBOUNCE_MS);
  }

  private async poll(): Promise<void> {
    let s: CatalogueStatus;
    try {
      s = await api<CatalogueStatus>('/api/recommendations/catalogue');
    } catch (e) {
      this.status.textContent = `recommender unavailable: ${(e as Error).message}`;
      return;
    }
    this.fillOptions(s);
    this.status.textContent = `${s.size} courses in the catalogue · popularity: ${s.popularityDescription}`;
    if (s.version !== this.version) {
      this.version = s.version;
      if (this.query.value.trim() !== '') await this.search();
    }
  }

  private fillOptions(s: CatalogueStatus): void {
    const key = s.subjects.join('|');
    if (key !== this.subjectsShown) {
      const chosen = this.subject.value;
      this.subject.replaceChildren(h('option', { value: '', text: 'any subject' }), ...s.subjects.map((x) => h('option', { value: x, text: x })));
      this.subject.value = s.subjects.includes(chosen) ? chosen : '';
      this.subjectsShown = key;
    }
    if (this.level.options.length === 1) this.level.append(...s.levels.map((x) => h('option', { value: x, text: x })));
  }

  private async search(): Promise<void> {
    if (this.query.value.trim() === '') {
      this.list.replaceChildren();
      this.error.textContent = '';
      return;
    }
    const params = new URLSearchParams({ query: this.query.value, limit: '20' });
    for (const input of [this.subject, this.level, this.maxPrice, this.maxHours, this.free]) if (input.value !== '') params.set(input.name, input.value);
    const mine = ++this.request;
    let res: RecommendationResult;
    try {
      res = await api<RecommendationResult>(`/api/recommendations?${params}`);
    } catch (e) {
      if (mine === this.request) this.error.textContent = (e as Error).message;
      return;
    }
    if (mine !== this.request) return; // a newer query answered first
    this.error.textContent = '';
    this.list.replaceChildren(
      ...(res.results.length === 0
        ? [h('li', { class: 'empty', text: 'No course matches these words within the filters.' })]
        : res.results.map((r) =>
            h(
              'li',
              {},
              r.url ? h('a', { href: r.url, target: '_blank', rel: 'noopener', text: r.title }) : h('strong', { text: r.title }),
              h('div', { class: 'empty', text: `${r.subject ?? 'no subject'} · ${r.level} · ${r.isFree ? 'free' : r.price} · ${r.contentHours} h · score ${r.score.toFixed(3)}` }),
              h('ul', {}, ...r.reasons.map((x) => h('li', { text: x }))),
            ),
          )),
    );
  }
}
