/**
 * Import rules (issue 20): no circles, and no arrow running back up the pipeline's layers. `npm run deps`; .ci/run
 * runs it. Layers, lowest first: core -> models (the model repository: manifests, versions) -> bus -> ingest / features -> inference -> gateway / recommend / monitoring
 * -> composition (src/app/, src/cli.ts, src/cli/). Offline tools (src/training, src/analysis' reports,
 * bench/, scripts/) may use the online code; the online code never imports training.
 */
const ONLINE = '^src/(core|models|bus|ingest|features|inference|gateway|recommend|monitoring)/';
module.exports = {
  forbidden: [
    { name: 'no-circular', severity: 'error', comment: 'an import circle', from: {}, to: { circular: true } },
    { name: 'serving-never-imports-training', severity: 'error', from: { path: ONLINE }, to: { path: '^src/training/' } },
    { name: 'core-is-the-bottom', severity: 'error', from: { path: '^src/core/' }, to: { path: '^src/(?!core/)' } },
    { name: 'models-only-core', severity: 'error', from: { path: '^src/models/' }, to: { path: '^src/(?!core/|models/)' } },
    { name: 'bus-only-core', severity: 'error', from: { path: '^src/bus/' }, to: { path: '^src/(?!core/|bus/)' } },
    { name: 'features-not-inference-or-above', severity: 'error', from: { path: '^src/(features|ingest)/' }, to: { path: '^src/(inference|gateway|recommend|monitoring|training|app|cli)' } },
    { name: 'inference-not-gateway-or-composition', severity: 'error', from: { path: '^src/inference/' }, to: { path: '^src/(gateway|recommend|app|cli)' } },
    { name: 'gateway-not-composition', severity: 'error', from: { path: '^src/gateway/' }, to: { path: '^src/(app|cli)' } },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(dist|node_modules|dashboard/dist)/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
  },
};
