// Rewrite the generated flag tables of docs/cli.md from the parameter declarations (npm run docs:flags).
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { withFlagTables } from '../src/cli/flag-docs.ts';

const path = fileURLToPath(new URL('../docs/cli.md', import.meta.url));
const next = withFlagTables(readFileSync(path, 'utf8'));
writeFileSync(`${path}.tmp`, next);
renameSync(`${path}.tmp`, path);
console.log(`docs/cli.md: flag tables written`);
