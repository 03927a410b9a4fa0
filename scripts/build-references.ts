/**
 * Writes the training reference (reference.json) of each shipped model version and points its
 * manifest at it. Reads the training data; never changes weights.
 *   npx tsx scripts/build-references.ts [model ...]   (default: every model in the repository)
 */
import { listModels, resolveModel } from '../src/models/model-repository.js';
import { writeShippedReference } from '../src/monitoring/shipped.js';

const names = process.argv.slice(2).length ? process.argv.slice(2) : listModels();
for (const name of names) {
  const t0 = Date.now();
  const v = resolveModel(name);
  const ref = await writeShippedReference(v);
  process.stderr.write(`${name} v${v.manifest.version}: ${ref.features.length} features over ${ref.source.observations} observations (${ref.source.items} items), ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
}
