import { readFileSync } from 'node:fs';

/** The version in package.json (recorded with every run, so a figure can be traced to the code behind it). */
export function packageVersion(): string {
  // src/sweep/ and dist/sweep/ are both two folders below the package root.
  const text = readFileSync(new URL('../../package.json', import.meta.url), 'utf8');
  return (JSON.parse(text) as { version: string }).version;
}
