/**
 * Fault bench: runs every fault scenario of the multi-process Kafka deployment on a broker of its own
 * and prints exactly one JSON object on stdout:
 *   {"scenarios":[{"name","acknowledged","lost","duplicated","duplicatesFlagged","recoverySeconds","details"}]}
 * Progress on stderr. `npm run bench -- faults` (all), or `FAULTS=kill-worker,routing npm run bench -- faults`.
 * The same scenarios run in `npm test` (test/faults/faults.test.ts), with assertions.
 */
import { cpus, loadavg } from 'node:os';
import { FaultBroker, type ScenarioResult, log } from './faults/harness.js';
import { SCENARIOS } from './faults/scenarios.js';
import { runIfExecutedDirectly } from './run-directly.js';

export async function run(): Promise<{ machine: Record<string, unknown>; scenarios: ScenarioResult[] }> {
  const only = process.env.FAULTS?.split(',').map((s) => s.trim()).filter(Boolean);
  for (const name of only ?? []) if (!SCENARIOS[name]) throw new Error(`FAULTS: unknown scenario "${name}"; scenarios: ${Object.keys(SCENARIOS).join(', ')}`);
  const broker = await FaultBroker.start();
  const scenarios: ScenarioResult[] = [];
  try {
    for (const [name, scenario] of Object.entries(SCENARIOS)) {
      if (only && !only.includes(name)) continue;
      const t = Date.now();
      log(`scenario ${name} ...`);
      const r = await scenario(broker);
      log(`scenario ${name}: ${JSON.stringify({ ...r, details: undefined })} in ${((Date.now() - t) / 1000).toFixed(0)} s`);
      scenarios.push(r);
    }
  } finally {
    await broker.close();
  }
  return { machine: { cpus: cpus().length, model: cpus()[0]?.model, loadavg: loadavg() }, scenarios };
}

runIfExecutedDirectly(import.meta.url, run);
