import { api } from './api.js';
import { h, toast } from './dom.js';
import type { Prediction } from './types.js';
import { truthLabels } from '../../src/monitoring/truth-labels.js';

/**
 * "Right?" control for the prediction a tile shows: "yes" sends the predicted label as the true one,
 * the list sends another (POST /api/feedback). It follows the tile's latest prediction, except while
 * the user is using it (from the pointer going down or focus coming in until the answer is sent or
 * focus leaves), so the answer goes to the prediction that was on screen when they started answering.
 */
export function feedbackControl(): { el: HTMLElement; target(p: Prediction): void } {
  let current: Prediction | undefined;
  const question = h('span', { class: 'fb-question' });
  const status = h('span', { class: 'fb-status', role: 'status' });
  const yes = h('button', { class: 'fb-yes', type: 'button', text: 'yes', title: 'the prediction is right' });
  const select = h('select', { class: 'fb-label', 'aria-label': 'the true label' });
  const el = h('div', { class: 'feedback', hidden: true }, question, yes, select, status);
  let shownId: string | undefined;
  /** Set while the user is answering: the tile's newer predictions wait until the answer is sent. */
  let held = false;
  const hold = () => {
    held = true;
  };
  yes.addEventListener('pointerdown', hold);
  select.addEventListener('pointerdown', hold);
  el.addEventListener('focusin', hold);
  el.addEventListener('focusout', (e) => {
    if (!el.contains(e.relatedTarget as Node | null)) held = false;
  });

  const send = async (label: string) => {
    const p = current;
    if (!p?.id) return;
    try {
      const r = await api<{ counted: boolean; correct: boolean }>('/api/feedback', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ predictionId: p.id, label }) });
      status.textContent = r.counted ? `thanks: ${label} counted` : `${label} was already counted`;
      // Let the control follow the tile's next prediction again.
      if (el.contains(document.activeElement)) (document.activeElement as HTMLElement).blur();
      held = false;
    } catch (e) {
      status.textContent = '';
      toast(`feedback: ${(e as Error).message}`, 'error');
    }
    select.value = '';
  };
  yes.addEventListener('click', () => {
    if (current) void send(current.label);
  });
  select.addEventListener('change', () => {
    if (select.value) void send(select.value);
  });

  return {
    el,
    target(p: Prediction) {
      if (!p.id || held || el.contains(document.activeElement)) return;
      current = p;
      el.hidden = false;
      el.dataset.predictionId = p.id;
      question.textContent = `${p.label} right?`;
      if (shownId !== p.id) {
        shownId = p.id;
        status.textContent = '';
      }
      const labels = truthLabels(p.kind, Object.keys(p.scores)).filter((l) => l !== p.label);
      if (select.options.length - 1 !== labels.length || labels.some((l, i) => select.options[i + 1]?.value !== l)) {
        select.replaceChildren(h('option', { value: '', text: 'no, it is…' }), ...labels.map((l) => h('option', { value: l, text: l })));
      }
    },
  };
}
