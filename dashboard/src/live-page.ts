import { api } from './api.js';
import { addStreamForm } from './add-stream-form.js';
import { startMicrophone, startWebcam, type Capture } from './browser-media.js';
import { h, toast } from './dom.js';
import { LiveSocket } from './live-socket.js';
import { SystemPanel } from './system-panel.js';
import { tileFor, type Tile } from './tiles.js';
import type { ServerMessage, StreamInfo } from './types.js';

/** The live page: a tile per stream, the system panel, and buttons to add streams or use this browser's microphone and webcam. */
export class LivePage {
  readonly el: HTMLElement;
  private readonly grid: HTMLElement;
  private readonly empty: HTMLElement;
  private readonly tiles = new Map<string, Tile>();
  private readonly system = new SystemPanel();
  private readonly socket: LiveSocket;
  private mic: Capture | undefined;
  private cam: Capture | undefined;
  private readonly micButton: HTMLButtonElement;
  private readonly camButton: HTMLButtonElement;

  constructor(private readonly setConnection: (text: string, ok: boolean) => void) {
    this.grid = h('div', { class: 'tiles', id: 'tiles' });
    this.empty = h('p', { class: 'empty', text: 'No streams yet. Use your microphone or webcam, or add a file or URL stream.' });
    this.micButton = h('button', { class: 'primary', id: 'use-mic', text: 'Use my microphone', onclick: () => void this.toggleMic() });
    this.camButton = h('button', { class: 'primary', id: 'use-cam', text: 'Use my webcam', onclick: () => void this.toggleCam() });
    const details = h('details', { class: 'add' }, h('summary', { text: 'Add a file or URL stream' }), addStreamForm(() => undefined));
    this.el = h('div', { class: 'live' }, h('div', { class: 'toolbar' }, this.micButton, this.camButton, details), h('div', { class: 'layout' }, h('div', { class: 'streams' }, this.empty, this.grid), this.system.el));
    this.socket = new LiveSocket(
      (m) => this.onMessage(m),
      (status, detail) => this.setConnection(status === 'open' ? 'live' : status === 'connecting' ? 'connecting…' : `disconnected${detail ? `: ${detail}` : ''}`, status === 'open'),
    );
    this.socket.connect();
    const frame = () => {
      for (const t of this.tiles.values()) t.render();
      requestAnimationFrame(frame);
    };
    requestAnimationFrame(frame);
  }

  private onMessage(m: ServerMessage): void {
    switch (m.type) {
      case 'streams':
        this.syncStreams(m.streams);
        break;
      case 'prediction':
        this.tiles.get(m.prediction.streamId)?.prediction(m.prediction);
        break;
      case 'stats':
        this.system.update(m.stats);
        break;
      case 'error':
        toast(`gateway: ${m.error}`, 'error');
        break;
    }
  }

  private syncStreams(streams: StreamInfo[]): void {
    const ids = new Set(streams.map((s) => s.id));
    for (const [id, t] of this.tiles) {
      if (!ids.has(id)) {
        t.el.remove();
        this.tiles.delete(id);
      }
    }
    for (const s of streams) {
      let t = this.tiles.get(s.id);
      if (!t) {
        t = tileFor(s);
        const remove = h('button', { class: 'icon', title: `remove stream ${s.id}`, 'aria-label': `remove stream ${s.id}`, text: '×', onclick: () => void this.removeStream(s.id) });
        t.el.querySelector('header')?.append(remove);
        this.tiles.set(s.id, t);
        this.grid.append(t.el);
      }
      t.info(s);
    }
    this.empty.hidden = streams.length > 0;
    this.socket.subscribe([...ids]);
  }

  private async removeStream(id: string): Promise<void> {
    if (this.mic?.streamId === id) return this.toggleMic();
    if (this.cam?.streamId === id) return this.toggleCam();
    try {
      await api(`/api/streams/${encodeURIComponent(id)}`, { method: 'DELETE' });
    } catch (e) {
      toast(`cannot remove ${id}: ${(e as Error).message}`, 'error');
    }
  }

  private async toggleMic(): Promise<void> {
    if (this.mic) {
      this.mic.stop();
      this.mic = undefined;
      this.micButton.textContent = 'Use my microphone';
      return;
    }
    this.micButton.disabled = true;
    try {
      this.mic = await startMicrophone((reason) => {
        this.mic = undefined;
        this.micButton.textContent = 'Use my microphone';
        if (reason) toast(reason, 'error');
      });
      this.micButton.textContent = `Stop microphone (${this.mic.streamId})`;
      toast(`streaming your microphone as ${this.mic.streamId}`);
    } catch (e) {
      toast(`microphone: ${(e as Error).message}`, 'error');
    } finally {
      this.micButton.disabled = false;
    }
  }

  private async toggleCam(): Promise<void> {
    if (this.cam) {
      this.cam.stop();
      this.cam = undefined;
      this.camButton.textContent = 'Use my webcam';
      return;
    }
    this.camButton.disabled = true;
    try {
      this.cam = await startWebcam((reason) => {
        this.cam = undefined;
        this.camButton.textContent = 'Use my webcam';
        if (reason) toast(reason, 'error');
      });
      this.camButton.textContent = `Stop webcam (${this.cam.streamId})`;
      toast(`streaming your webcam as ${this.cam.streamId}`);
    } catch (e) {
      toast(`webcam: ${(e as Error).message}`, 'error');
    } finally {
      this.camButton.disabled = false;
    }
  }
}
