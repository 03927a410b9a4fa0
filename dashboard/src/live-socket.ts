import { socketProtocols, socketUrl } from './api.js';
import type { ServerMessage } from './types.js';

type Handler = (m: ServerMessage) => void;

/** The dashboard's /ws connection: reconnects with backoff and re-sends the subscription. */
export class LiveSocket {
  private ws: WebSocket | undefined;
  private subscription: string[] = [];
  private retryMs = 500;
  private closedByUs = false;

  constructor(
    private readonly onMessage: Handler,
    private readonly onStatus: (status: 'open' | 'closed' | 'connecting', detail?: string) => void,
  ) {}

  connect(): void {
    this.closedByUs = false;
    this.onStatus('connecting');
    const ws = new WebSocket(socketUrl('/ws'), socketProtocols());
    this.ws = ws;
    ws.onopen = () => {
      this.retryMs = 500;
      this.onStatus('open');
      this.sendSubscription();
    };
    ws.onmessage = (e) => {
      if (typeof e.data !== 'string') return;
      try {
        this.onMessage(JSON.parse(e.data) as ServerMessage);
      } catch (err) {
        console.warn('bad message from the gateway', err);
      }
    };
    ws.onclose = (e) => {
      this.onStatus('closed', e.reason || undefined);
      if (!this.closedByUs) {
        setTimeout(() => this.connect(), this.retryMs);
        this.retryMs = Math.min(this.retryMs * 2, 10_000);
      }
    };
  }

  /** Subscribes to exactly these streams (the ones on screen). */
  subscribe(streamIds: string[]): void {
    const next = [...streamIds].sort();
    if (next.join('\n') === this.subscription.join('\n')) return;
    this.subscription = next;
    this.sendSubscription();
  }

  private sendSubscription(): void {
    if (this.ws?.readyState === WebSocket.OPEN) this.ws.send(JSON.stringify({ type: 'subscribe', streams: this.subscription }));
  }

  close(): void {
    this.closedByUs = true;
    this.ws?.close();
  }
}
