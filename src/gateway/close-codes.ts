import type { WebSocket } from 'ws';

/** WebSocket close codes the gateway uses; every close also carries a reason text. */
export const CLOSE = {
  normal: 1000,
  goingAway: 1001,
  /** A binary message on a text-only socket, or the reverse. */
  unsupportedData: 1003,
  /** Payload that is not what the endpoint takes (odd-length PCM, not a JPEG, bad JSON). */
  invalidPayload: 1007,
  /** Rate limit exceeded. */
  policyViolation: 1008,
  messageTooBig: 1009,
  /** The client did not read its messages fast enough for too long. */
  tooSlow: 4008,
} as const;

/** Close with a reason, cut to the 123 bytes a close frame allows. */
export function closeWith(ws: WebSocket, code: number, reason: string): void {
  let r = reason;
  while (Buffer.byteLength(r) > 123) r = r.slice(0, -1);
  if (ws.readyState === ws.OPEN || ws.readyState === ws.CONNECTING) ws.close(code, r);
}
