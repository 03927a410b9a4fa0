/**
 * Client side of bench/gateway-load.ts, run as its own process so the gateway's CPU figure is the
 * gateway's alone. Args: <ws-url> <clients> <slowClients> <durationMs>. Prints one JSON line
 * "ready" once every client is connected, then one with the counts when the duration has passed.
 */
import { WebSocket } from 'ws';

const [url, clientsArg, slowArg, durationArg] = process.argv.slice(2);
const clients = Number(clientsArg);
const slow = Number(slowArg);
const durationMs = Number(durationArg);

interface Counter {
  predictions: number;
  stats: number;
  bytes: number;
  closedCode?: number;
}

async function connect(i: number): Promise<{ ws: WebSocket; c: Counter }> {
  const c: Counter = { predictions: 0, stats: 0, bytes: 0 };
  const ws = new WebSocket(url, { perMessageDeflate: false });
  ws.on('message', (d: Buffer) => {
    c.bytes += d.length;
    // Cheap type sniffing: messages start with {"type":"<type>"
    if (d[9] === 0x70) c.predictions++;
    else if (d[9] === 0x73 && d[10] === 0x74) c.stats++;
  });
  ws.on('close', (code) => (c.closedCode = code));
  ws.on('error', () => undefined);
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  ws.send(JSON.stringify({ type: 'subscribe', streams: '*' }));
  if (i < slow) (ws as unknown as { _socket: { pause(): void } })._socket.pause();
  return { ws, c };
}

const all: { ws: WebSocket; c: Counter }[] = [];
for (let i = 0; i < clients; i += 20) all.push(...(await Promise.all(Array.from({ length: Math.min(20, clients - i) }, (_, k) => connect(i + k)))));
process.stdout.write(`${JSON.stringify({ ready: true })}\n`);
const start = all.map((x) => x.c.predictions);
const t0 = Date.now();
await new Promise((r) => setTimeout(r, durationMs));
const seconds = (Date.now() - t0) / 1000;
const fast = all.slice(slow);
const fastDelivered = fast.reduce((a, x, i) => a + x.c.predictions - start[slow + i], 0);
process.stdout.write(
  `${JSON.stringify({
    seconds,
    fastClients: fast.length,
    fastPredictionsPerSec: fastDelivered / seconds,
    fastPredictionsPerClientPerSec: fastDelivered / seconds / Math.max(1, fast.length),
    fastBytesPerSec: fast.reduce((a, x) => a + x.c.bytes, 0) / seconds,
    fastClosed: fast.filter((x) => x.c.closedCode !== undefined).length,
    slowClosedCodes: all.slice(0, slow).map((x) => x.c.closedCode ?? null),
  })}\n`,
);
for (const x of all) x.ws.terminate();
process.exit(0);
