import { api } from './api.js';
import { h, toast } from './dom.js';

const KINDS: { kind: string; label: string; field: 'path' | 'url'; fps?: boolean }[] = [
  { kind: 'audio-file', label: 'audio file', field: 'path' },
  { kind: 'audio-url', label: 'audio URL', field: 'url' },
  { kind: 'video-file', label: 'video file', field: 'path', fps: true },
  { kind: 'video-url', label: 'video URL (RTSP/HTTP)', field: 'url', fps: true },
  { kind: 'images', label: 'image folder', field: 'path', fps: true },
  { kind: 'csv', label: 'courses CSV', field: 'path' },
  { kind: 'jsonl', label: 'courses JSON lines', field: 'path' },
];

/** "Add a stream": a file or URL source, POSTed to /api/streams; the server's validation message names the bad field. */
export function addStreamForm(onAdded: () => void): HTMLElement {
  const id = h('input', { name: 'id', required: true, placeholder: 'stream id, e.g. lobby-cam', pattern: '[A-Za-z0-9][A-Za-z0-9._-]{0,63}', autocomplete: 'off' });
  const kind = h('select', { name: 'kind' }, ...KINDS.map((k) => h('option', { value: k.kind, text: k.label })));
  const target = h('input', { name: 'target', required: true, placeholder: 'path on the server', autocomplete: 'off' });
  const fps = h('input', { name: 'fps', type: 'number', min: '0.1', max: '60', step: '0.1', value: '5', title: 'frames per second to analyse' });
  const loop = h('input', { name: 'loop', type: 'checkbox' });
  const error = h('div', { class: 'error', role: 'alert' });
  const sync = () => {
    const k = KINDS.find((x) => x.kind === kind.value)!;
    target.placeholder = k.field === 'url' ? 'URL, e.g. rtsp://… or https://…' : 'path on the server';
    fps.disabled = !k.fps;
  };
  kind.addEventListener('change', sync);
  sync();
  const form = h(
    'form',
    { class: 'add-stream' },
    id,
    kind,
    target,
    h('label', { title: 'frames per second' }, 'fps ', fps),
    h('label', {}, loop, ' loop'),
    h('button', { type: 'submit', text: 'Add stream' }),
    error,
  );
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    error.textContent = '';
    const k = KINDS.find((x) => x.kind === kind.value)!;
    const source: Record<string, unknown> = { kind: k.kind, [k.field]: target.value.trim() };
    if (k.fps) source.fps = Number(fps.value);
    if (loop.checked && k.field === 'path' && k.kind !== 'jsonl') source.loop = true;
    try {
      await api('/api/streams', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ id: id.value.trim(), source }) });
      toast(`stream ${id.value} added`);
      form.reset();
      sync();
      onAdded();
    } catch (err) {
      error.textContent = (err as Error).message;
    }
  });
  return form;
}
