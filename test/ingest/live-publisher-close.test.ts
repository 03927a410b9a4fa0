import { describe, expect, it } from 'vitest';
import type { Producer } from '../../src/bus/bus.js';
import { EmbeddedBus } from '../../src/bus/embedded.js';
import { LiveFramePublisher } from '../../src/ingest/publish.js';

/** An embedded bus whose producers are refused as during a broker outage. */
class UnavailableBus extends EmbeddedBus {
  attempts = 0;
  override producer(): Producer {
    return {
      send: async () => {
        this.attempts++;
        throw new Error('connect ECONNREFUSED 127.0.0.1:9092');
      },
    };
  }
}

const frame = (seq: number) => ({ jpeg: Buffer.from([0xff, 0xd8, 0xff, 0xd9]), seq, capturedAt: Date.now(), ptsSec: seq / 5 });

describe('LiveFramePublisher.close during a bus outage', () => {
  it('gives up the queued frames after the grace period instead of waiting for the bus forever', async () => {
    const bus = new UnavailableBus();
    const pub = new LiveFramePublisher(bus, 'cam-outage', 'test');
    for (let i = 0; i < 3; i++) pub.push(frame(i));
    // The send loop is retrying (sendDurably backs off) while the bus refuses.
    await new Promise((r) => setTimeout(r, 150));
    expect(bus.attempts).toBeGreaterThan(0);
    const t0 = Date.now();
    await pub.close(false, 300);
    const took = Date.now() - t0;
    expect(took).toBeGreaterThanOrEqual(250);
    expect(took).toBeLessThan(5_000);
    expect(pub.published).toBe(0);
    expect(pub.dropped).toBe(3);
    await bus.close();
  });
});
