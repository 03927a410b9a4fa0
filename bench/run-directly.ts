import { pathToFileURL } from 'node:url';

/**
 * When a bench file is executed directly (`npx tsx bench/<suite>.ts`), run it and print its JSON;
 * exit non-zero with the error otherwise. `npm run bench -- <suite>` imports `run` instead.
 */
export function runIfExecutedDirectly(moduleUrl: string, run: () => Promise<unknown>): void {
  if (moduleUrl !== pathToFileURL(process.argv[1] ?? '').href) return;
  run().then(
    (r) => {
      process.stdout.write(JSON.stringify(r, null, 2) + '\n');
      process.exit(0);
    },
    (e) => {
      console.error(e);
      process.exit(1);
    },
  );
}
