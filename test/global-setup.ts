// Global test setup. The Kafka broker is started here (see scripts/kafka and src/bus/kafka-broker.ts).
export default async function setup(): Promise<void | (() => Promise<void>)> {
  return undefined;
}
