// `npm run test:unit`: every test/unit/**/*.test.ts imported into one process, so that node and tsx start once
// rather than once per file (the start-up was most of the tier's CPU time); `npm test` runs the tier the same way.
// A file that fails to load becomes one failing test naming it; the others still run.
import { test } from 'node:test';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** Every *.test.ts under `dir`, sorted. */
function testFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .flatMap((e) =>
      e.isDirectory() ? testFiles(join(dir, e.name)) : e.name.endsWith('.test.ts') ? [join(dir, e.name)] : [],
    )
    .sort();
}

for (const file of testFiles(fileURLToPath(new URL('unit', import.meta.url)))) {
  try {
    await import(pathToFileURL(file).href);
  } catch (err) {
    test(`${file} loads`, () => {
      throw err;
    });
  }
}
