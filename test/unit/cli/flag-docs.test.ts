// docs/cli.md's flag tables are generated from the parameter declarations: this fails when they drift.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import {
  EVALUATE_FLAG_DOCS_MARKERS,
  evaluateFlagTable,
  FLAG_DOCS_MARKERS,
  runFlagTables,
  withFlagTables,
} from '../../../src/cli/flag-docs.ts';
import { METHOD_NAMES } from '../../../src/methods/run.ts';

const text = readFileSync(new URL('../../../docs/cli.md', import.meta.url), 'utf8');

test('docs/cli.md holds the flag tables the declarations give (npm run docs:flags rewrites them)', () => {
  assert.ok(text.includes(FLAG_DOCS_MARKERS.start) && text.includes(FLAG_DOCS_MARKERS.end));
  assert.equal(withFlagTables(text), text, 'docs/cli.md is out of date: run npm run docs:flags');
});

test('the tables name every method and a flag of each declaration', () => {
  const tables = runFlagTables();
  for (const name of METHOD_NAMES) assert.match(tables, new RegExp(`--method ${name}\``));
  for (const flag of ['--given-rank', '--stop-at-error', '--lambda-min-ratio', '--k', '--variant'])
    assert.ok(tables.includes(`\`${flag}\``), flag);
  // A change to a declaration changes the text: the check above cannot pass on stale tables.
  assert.notEqual(withFlagTables(text.replace('| 12 |', '| 13 |')), text.replace('| 12 |', '| 13 |'));
});

test("evaluate's table names each flag crossValidate shares with the command, and drifts are caught", () => {
  assert.ok(text.includes(EVALUATE_FLAG_DOCS_MARKERS.start) && text.includes(EVALUATE_FLAG_DOCS_MARKERS.end));
  const table = evaluateFlagTable();
  for (const flag of ['--folds', '--seed', '--methods', '--k', '--threshold', '--min-support'])
    assert.ok(table.includes(`\`${flag}\``), flag);
  const stale = text.replace('| an integer in 2..100 |', '| an integer in 2..99 |');
  assert.notEqual(stale, text);
  assert.notEqual(withFlagTables(stale), stale);
});
