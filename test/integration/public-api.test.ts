// The two public entries, checked with the TypeScript compiler (every exported name is documented) and in a fresh
// process (importing them has no side effect); the import-graph scans are unit-tested in test/unit/public-api.test.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const root = fileURLToPath(new URL('../..', import.meta.url));

/** The exported names of each entry and, for each, whether its declaration carries a JSDoc comment. */
function exportedNames(entries: readonly string[]): Map<string, { name: string; documented: boolean; where: string }[]> {
  const files = entries.map((e) => resolve(root, e));
  // No lib files: only the declarations behind each export are looked at, never their types (about 2 s).
  const program = ts.createProgram(files, {
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    allowImportingTsExtensions: true,
    noEmit: true,
    noLib: true,
    types: [],
  });
  const checker = program.getTypeChecker();
  const result = new Map<string, { name: string; documented: boolean; where: string }[]>();
  for (const [i, file] of files.entries()) {
    const moduleSymbol = checker.getSymbolAtLocation(program.getSourceFile(file)!)!;
    const names = checker.getExportsOfModule(moduleSymbol).map((exported) => {
      const symbol = exported.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exported) : exported;
      const declarations = symbol.declarations ?? [];
      const documented = declarations.some(
        (d) => ts.getJSDocCommentsAndTags(ts.isVariableDeclaration(d) ? d.parent.parent : d).length > 0,
      );
      const where = declarations[0] ? relative(root, declarations[0].getSourceFile().fileName) : '?';
      return { name: exported.name, documented, where };
    });
    result.set(entries[i], names);
  }
  return result;
}

test('every name either entry exports has a doc comment at its definition; mcomplete stays about 60 names', () => {
  const names = exportedNames(['src/index.ts', 'src/node.ts']);
  const core = names.get('src/index.ts')!;
  const node = names.get('src/node.ts')!;
  const missing = [...core, ...node].filter((e) => !e.documented).map((e) => `${e.name} (${e.where})`);
  assert.deepEqual([...new Set(missing)], []);
  assert.ok(core.length >= 40 && core.length <= 64, `mcomplete exports ${core.length} names`);
  const nodeNames = new Set(node.map((e) => e.name));
  assert.deepEqual(core.filter((e) => !nodeNames.has(e.name)).map((e) => e.name), [], 'mcomplete/node re-exports all of mcomplete');
  for (const name of ['useFastestBackend', 'chooseBackend', 'loadNativeBackend', 'sweep', 'evaluateClaims', 'writeReport']) {
    assert.ok(nodeNames.has(name), `mcomplete/node exports ${name}`);
  }
  const coreNames = new Set(core.map((e) => e.name));
  for (const name of ['parseTriplets', 'parseDense', 'parseMatrixMarket', 'InputError']) {
    assert.ok(coreNames.has(name), `mcomplete exports ${name}`);
    assert.ok(nodeNames.has(name), `mcomplete/node exports ${name}`);
  }
});

test('importing either entry has no side effect: a bad MCOMPLETE_BACKEND only fails when the backend is chosen', () => {
  const url = (entry: string): string => JSON.stringify(new URL(entry, new URL(`file://${root}/`)).href);
  // One fresh process: import both entries under a bad setting, then choose (chooseBackend reads the variable then).
  const script = [
    `const core = await import(${url('src/index.ts')});`,
    `const node = await import(${url('src/node.ts')});`,
    'const atImport = [core.getBackend().name, node.getBackend().name];',
    'let refused = "";',
    'try { node.useFastestBackend(); } catch (err) { refused = err.message; }',
    'core.setBackend({ ...core.tsBackend, name: "stand-in" });',
    'process.env.MCOMPLETE_BACKEND = "ts";',
    'const forced = node.useFastestBackend().name;',
    'const after = core.getBackend() === core.tsBackend ? "ts" : core.getBackend().name;',
    'console.log(JSON.stringify({ atImport, refused, forced, after }));',
  ].join('\n');
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    cwd: root,
    encoding: 'utf8',
    env: { ...process.env, MCOMPLETE_BACKEND: 'no-such-backend' },
    timeout: 60_000,
  });
  assert.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout) as { atImport: string[]; refused: string; forced: string; after: string };
  assert.deepEqual(out.atImport, ['ts', 'ts'], 'both entries keep the TypeScript backend at import');
  assert.match(out.refused, /MCOMPLETE_BACKEND must be 'ts' or 'native'.*'no-such-backend'/);
  assert.equal(out.forced, 'ts');
  assert.equal(out.after, 'ts', 'useFastestBackend set the default that mcomplete sees');
});
