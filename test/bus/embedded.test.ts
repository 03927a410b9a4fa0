import { EmbeddedBus } from '../../src/bus/embedded.js';
import { busContract } from './contract.js';

// One embedded bus is shared by the clients of a test, as Kafka clients share a broker.
let shared: EmbeddedBus | undefined;
busContract('embedded', async () => {
  shared ??= new EmbeddedBus({ maxMessageBytes: 1024 * 1024 });
  const bus = shared;
  return Object.assign(Object.create(bus), { close: async () => undefined }) as EmbeddedBus;
});
