import { labelColor } from './colors.js';
import { feedbackControl } from './feedback-control.js';
import { fmtNum, h, pct } from './dom.js';
import type { Prediction, StreamInfo } from './types.js';
import { explanationDisplayName } from '../../src/core/feature-names.js';
import { redactSecrets, redactSource } from '../../src/core/redact.js';

/** One stream on the live page; updated with predictions and redrawn at most once per animation frame. */
export interface Tile {
  readonly el: HTMLElement;
  info(s: StreamInfo): void;
  prediction(p: Prediction): void;
  render(): void;
}

function topScores(scores: Record<string, number>, n: number): [string, number][] {
  return Object.entries(scores)
    .sort((a, b) => b[1] - a[1])
    .slice(0, n);
}

function scoreBars(scores: Record<string, number>, n = 3): HTMLElement {
  return h(
    'ul',
    { class: 'bars' },
    ...topScores(scores, n).map(([label, v]) =>
      h('li', {}, h('span', { class: 'bar-label', text: label }), h('span', { class: 'bar' }, h('span', { class: 'bar-fill', style: { width: pct(v), background: labelColor(label) } })), h('span', { class: 'bar-value', text: pct(v) })),
    ),
  );
}

function tileFrame(s: StreamInfo, kindLabel: string): { el: HTMLElement; status: HTMLElement; model: HTMLElement; body: HTMLElement } {
  const status = h('span', { class: 'badge' });
  const model = h('span', { class: 'model' });
  const body = h('div', { class: 'tile-body' });
  const el = h('section', { class: `tile tile-${s.media}`, 'data-stream': s.id, 'aria-label': `stream ${s.id}` }, h('header', {}, h('h2', { text: s.id, title: s.id }), h('span', { class: 'kind', text: kindLabel }), status), body, h('footer', {}, model));
  return { el, status, model, body };
}

function setStatus(badge: HTMLElement, s: StreamInfo): void {
  badge.textContent = s.status;
  badge.className = `badge status-${s.status}`;
  badge.title = s.error !== undefined ? redactSecrets(s.error) : `${s.published} published, ${s.dropped} dropped`;
}

/** The source of a stream for its tooltip: the gateway sends it redacted; redactSource here too, so no credential is ever drawn. */
function sourceText(s: StreamInfo): string {
  const src = redactSource(s.source as { kind: string; path?: string; url?: string; device?: string });
  return `${src.kind}${src.path ? ` ${src.path}` : src.url ? ` ${src.url}` : src.device ? ` ${src.device}` : ''}`;
}

/** Audio: current emotion with confidence, input level, a scrolling emotion timeline. */
export function audioTile(s: StreamInfo): Tile {
  const f = tileFrame(s, 'audio');
  const label = h('div', { class: 'big-label', text: 'waiting…' });
  const conf = h('div', { class: 'confidence' });
  const voice = h('div', { class: 'confidence voice', title: 'speaker gender (gender model)' });
  const levelFill = h('span', { class: 'level-fill' });
  const levelText = h('span', { class: 'level-text', text: '– dB' });
  const level = h('div', { class: 'level', title: 'input level (RMS, dBFS)' }, levelFill, levelText);
  const timeline = h('canvas', { class: 'timeline', width: 600, height: 60, 'aria-label': 'emotion timeline' });
  const bars = h('div', {});
  const legend = h('div', { class: 'legend' });
  const feedback = feedbackControl();
  f.body.append(h('div', { class: 'headline' }, label, conf), feedback.el, voice, level, timeline, legend, bars);
  const history: { label: string; confidence: number; speech: boolean }[] = [];
  const seen = new Set<string>();
  let latest: Prediction | undefined;
  let dirty = false;
  const tile: Tile = {
    el: f.el,
    info: (info) => {
      setStatus(f.status, info);
      f.el.title = sourceText(info);
    },
    prediction: (p) => {
      latest = p;
      const speech = p.speech !== false;
      history.push({ label: p.label, confidence: p.scores[p.label] ?? 0, speech });
      if (history.length > 120) history.shift();
      if (speech && !seen.has(p.label)) {
        seen.add(p.label);
        legend.append(h('span', { class: 'chip', style: { borderColor: labelColor(p.label) }, text: p.label }));
      }
      dirty = true;
    },
    render: () => {
      if (!dirty || !latest) return;
      dirty = false;
      const p = latest;
      const speech = p.speech !== false;
      label.textContent = speech ? p.label : 'silence';
      label.style.color = labelColor(speech ? p.label : 'silence');
      conf.textContent = speech ? `${pct(p.scores[p.label] ?? 0)} confidence` : 'no speech';
      const gender = p.extra?.gender as { label?: string; scores?: Record<string, number> } | undefined;
      voice.textContent = speech && gender?.label ? `voice: ${gender.label} ${pct(gender.scores?.[gender.label] ?? 0)}` : '';
      const rms = typeof p.extra?.rmsDb === 'number' ? (p.extra.rmsDb as number) : undefined;
      levelFill.style.width = rms === undefined ? '0%' : `${Math.max(0, Math.min(100, ((rms + 60) / 60) * 100))}%`;
      levelText.textContent = rms === undefined ? '– dB' : `${rms.toFixed(0)} dB`;
      bars.replaceChildren(scoreBars(p.scores, 3));
      feedback.target(p);
      f.model.textContent = `${p.model.name} v${p.model.version} · window ${p.window ? `${p.window.start.toFixed(1)}–${p.window.end.toFixed(1)} s` : '–'}`;
      const g = timeline.getContext('2d');
      if (!g) return;
      const w = timeline.width;
      const hgt = timeline.height;
      g.clearRect(0, 0, w, hgt);
      const col = w / 120;
      history.forEach((e, i) => {
        const x = w - (history.length - i) * col;
        g.fillStyle = labelColor(e.speech ? e.label : 'silence');
        const bh = e.speech ? Math.max(4, e.confidence * hgt) : 3;
        g.fillRect(x, hgt - bh, Math.max(1, col - 1), bh);
      });
    },
  };
  tile.info(s);
  return tile;
}

/** Camera / video: the latest analysed frame with its label and confidence. */
export function videoTile(s: StreamInfo): Tile {
  const f = tileFrame(s, 'video');
  const img = h('img', { class: 'frame', alt: `latest analysed frame of ${s.id}` });
  const placeholder = h('div', { class: 'frame placeholder', text: 'waiting for a frame…' });
  const caption = h('div', { class: 'headline' });
  const bars = h('div', {});
  const feedback = feedbackControl();
  f.body.append(placeholder, caption, feedback.el, bars);
  let latest: Prediction | undefined;
  let dirty = false;
  const tile: Tile = {
    el: f.el,
    info: (info) => {
      setStatus(f.status, info);
      f.el.title = sourceText(info);
    },
    prediction: (p) => {
      latest = p;
      dirty = true;
    },
    render: () => {
      if (!dirty || !latest) return;
      dirty = false;
      const p = latest;
      const frame = typeof p.extra?.frame === 'string' ? (p.extra.frame as string) : undefined;
      if (frame) {
        img.src = `data:image/jpeg;base64,${frame}`;
        if (placeholder.isConnected) placeholder.replaceWith(img);
      }
      caption.replaceChildren(h('span', { class: 'big-label', style: { color: labelColor(p.label) }, text: p.label }), h('span', { class: 'confidence', text: `${pct(p.scores[p.label] ?? 0)} confidence` }));
      bars.replaceChildren(scoreBars(p.scores, 3));
      feedback.target(p);
      f.model.textContent = `${p.model.name} v${p.model.version} · frame #${p.seq}`;
    },
  };
  tile.info(s);
  return tile;
}

interface Term {
  term: string;
  weight: number;
}

/** The strongest terms, by their human names (src/core/feature-names.ts), stop words left out. */
function explanationTerms(x: unknown): (Term & { feature: string })[] {
  if (!Array.isArray(x)) return [];
  return x
    .filter((t): t is Term => typeof t === 'object' && t !== null && typeof (t as Term).term === 'string' && typeof (t as Term).weight === 'number')
    .flatMap((t) => {
      const name = explanationDisplayName(t.term);
      return name === undefined ? [] : [{ term: name, weight: t.weight, feature: t.term }];
    })
    .sort((a, b) => Math.abs(b.weight) - Math.abs(a.weight))
    .slice(0, 5);
}

function courseTitle(p: Prediction): string {
  const e = p.extra ?? {};
  for (const k of ['title', 'course_title', 'name']) if (typeof e[k] === 'string') return e[k] as string;
  return `record #${p.seq}`;
}

/** Courses: a feed of the latest scored records with the terms that drove each score. */
export function courseTile(s: StreamInfo): Tile {
  const f = tileFrame(s, 'courses');
  const list = h('ol', { class: 'feed' });
  const count = h('div', { class: 'confidence' });
  f.body.append(count, list);
  const pending: Prediction[] = [];
  let total = 0;
  const tile: Tile = {
    el: f.el,
    info: (info) => setStatus(f.status, info),
    prediction: (p) => {
      pending.push(p);
      if (pending.length > 12) pending.shift();
      total++;
    },
    render: () => {
      if (pending.length === 0) return;
      for (const p of pending) {
        const terms = explanationTerms(p.explanation);
        const score = p.scores[p.label] ?? 0;
        const title = courseTitle(p);
        // Click (or Enter) opens the record's detail: the full title, every score and every term.
        const detail = h(
          'div',
          { class: 'feed-detail' },
          h('div', { class: 'feed-full-title', text: title }),
          h('div', { text: Object.entries(p.scores).sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k} ${pct(v)}`).join(' · ') }),
          h('div', { text: `${p.model.name} v${p.model.version} · record #${p.seq}` }),
        );
        // The record's true subject (POST /api/feedback); clicks on it do not fold the detail.
        const feedback = feedbackControl();
        feedback.target(p);
        for (const ev of ['click', 'keydown']) feedback.el.addEventListener(ev, (e) => e.stopPropagation());
        detail.append(feedback.el);
        const item = h(
          'li',
          { tabindex: 0, title },
          h('div', { class: 'feed-head' }, h('span', { class: 'feed-title', text: title }), h('span', { class: 'chip', style: { borderColor: labelColor(p.label) }, text: `${p.label} ${pct(score)}` })),
            h('div', { class: 'terms' }, ...terms.map((t) => h('span', { class: `term ${t.weight >= 0 ? 'pos' : 'neg'}`, title: `${t.feature}: weight ${t.weight.toFixed(3)}`, text: `${t.weight >= 0 ? '+' : '−'}${t.term}` }))),
          detail,
        );
        const toggle = () => item.classList.toggle('open');
        item.addEventListener('click', toggle);
        item.addEventListener('keydown', (e) => {
          if (e.key === 'Enter' || e.key === ' ') {
            e.preventDefault();
            toggle();
          }
        });
        list.prepend(item);
        f.model.textContent = `${p.model.name} v${p.model.version}`;
      }
      pending.length = 0;
      while (list.children.length > 12) list.lastElementChild?.remove();
      count.textContent = `${fmtNum(total, 0)} records scored`;
    },
  };
  tile.info(s);
  return tile;
}

export function tileFor(s: StreamInfo): Tile {
  return s.media === 'audio' ? audioTile(s) : s.media === 'video' ? videoTile(s) : courseTile(s);
}
