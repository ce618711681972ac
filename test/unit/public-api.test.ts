// The two public entries: `mcomplete` (src/index.ts) is browser-safe and side-effect free, `mcomplete/node`
// (src/node.ts) adds the Node-only parts. (That every exported name is documented is eslint's jsdoc/require-jsdoc;
// the fresh-process import check is in test/integration/public-api.test.ts.)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const root = fileURLToPath(new URL('../..', import.meta.url));
const BUILTINS = new Set(builtinModules);

/** The specifiers of a module's static imports, re-exports and dynamic imports (comments stripped first). */
function specifiers(source: string): string[] {
  const code = source.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"`])\/\/.*$/gm, '$1');
  const found: string[] = [];
  const patterns = [
    /\b(?:import|export)\s[^'"`;]*?\bfrom\s*['"]([^'"]+)['"]/g, // import … from 'x', export … from 'x'
    /\bimport\s*['"]([^'"]+)['"]/g, // import 'x' (side effect only)
    /\bimport\s*\(\s*['"]([^'"]+)['"]\s*\)/g, // import('x')
  ];
  for (const re of patterns) for (const m of code.matchAll(re)) found.push(m[1]);
  return found;
}

/** The conditions a bundler resolves for a page (Vite's, for the client): "browser" among them, never "node". */
const BROWSER_CONDITIONS = new Set(['browser', 'import', 'module', 'default']);

/** The package's own "imports" map (package.json), which maps `#name` specifiers to targets per condition. */
type ImportsMap = Record<string, unknown>;
const IMPORTS =
  (JSON.parse(readFileSync(resolve(root, 'package.json'), 'utf8')) as { imports?: ImportsMap }).imports ?? {};

/**
 * The target of a `#name` specifier under `conditions`, as Node and bundlers pick it: in a conditions object the
 * first key, in the object's order, that is one of the conditions. Throws when the map has no entry or no match.
 */
function resolveImportsEntry(spec: string, imports: ImportsMap, conditions: ReadonlySet<string>): string {
  let target = imports[spec];
  while (target !== null && typeof target === 'object') {
    const key = Object.keys(target).find((k) => conditions.has(k));
    if (key === undefined) throw new Error(`"imports" of ${spec} matches none of ${[...conditions].join(', ')}`);
    target = (target as Record<string, unknown>)[key];
  }
  if (typeof target !== 'string') throw new Error(`${spec} is not in package.json "imports"`);
  return target;
}

/**
 * Every file reachable from `entry` through relative specifiers, and each non-relative specifier with its importer.
 * `#name` specifiers are followed through package.json "imports" under the browser's conditions: a local target is
 * walked into, a package target is listed as external (with the `#name` it came from).
 */
function importGraph(entry: string): { files: string[]; external: { specifier: string; from: string }[] } {
  const seen = new Set<string>();
  const external: { specifier: string; from: string }[] = [];
  const stack = [resolve(root, entry)];
  while (stack.length > 0) {
    const file = stack.pop()!;
    if (seen.has(file)) continue;
    seen.add(file);
    for (const spec of specifiers(readFileSync(file, 'utf8'))) {
      const target = spec.startsWith('#') ? resolveImportsEntry(spec, IMPORTS, BROWSER_CONDITIONS) : spec;
      const from = relative(root, file) + (target === spec ? '' : ` (through ${spec})`);
      if (target.startsWith('./') && spec.startsWith('#')) stack.push(resolve(root, target));
      else if (target.startsWith('.')) stack.push(resolve(dirname(file), target));
      else external.push({ specifier: target, from });
    }
  }
  return { files: [...seen].map((f) => relative(root, f)).sort(), external };
}

/** Imports of Node's built-ins: any `node:` specifier, or a bare built-in name ('fs', 'path', 'fs/promises'). */
function nodeImports(graph: ReturnType<typeof importGraph>): string[] {
  return graph.external
    .filter(
      ({ specifier }) =>
        specifier.startsWith('node:') || BUILTINS.has(specifier) || BUILTINS.has(specifier.split('/')[0]),
    )
    .map(({ specifier, from }) => `${from} imports '${specifier}'`);
}

test('the import scanner finds static, side-effect, dynamic and re-export specifiers, not those in comments', () => {
  const source = [
    "import { a } from './a.ts';",
    "import type {\n  B,\n} from '../b.ts';",
    "export { c } from './c.ts';",
    "export * from 'node:fs';",
    "import 'side-effect';",
    "const m = await import('./lazy.ts');",
    "// import { x } from 'node:os';",
    "/* export * from 'path'; */",
  ].join('\n');
  assert.deepEqual(
    specifiers(source).sort(),
    ['../b.ts', './a.ts', './c.ts', './lazy.ts', 'node:fs', 'side-effect'].sort(),
  );
});

test('"imports" entries resolve by condition, in the order the map lists them', () => {
  const imports: ImportsMap = {
    '#both': { browser: 'pkg/browser', default: 'pkg/node' },
    '#nested': { browser: { import: './web.js', default: './web.cjs' }, default: './node.js' },
    '#plain': 'pkg/only',
    '#node-only': { node: 'pkg/node' },
  };
  const node = new Set(['node', 'import', 'default']);
  assert.equal(resolveImportsEntry('#both', imports, BROWSER_CONDITIONS), 'pkg/browser');
  assert.equal(resolveImportsEntry('#both', imports, node), 'pkg/node');
  assert.equal(resolveImportsEntry('#nested', imports, BROWSER_CONDITIONS), './web.js');
  assert.equal(resolveImportsEntry('#plain', imports, BROWSER_CONDITIONS), 'pkg/only');
  assert.throws(() => resolveImportsEntry('#node-only', imports, BROWSER_CONDITIONS), /matches none/);
  assert.throws(() => resolveImportsEntry('#missing', imports, BROWSER_CONDITIONS), /not in package.json/);
});

/**
 * Packages that mcomplete's graph may import: each was checked to run in a browser as it is (pure-rand: integer
 * arithmetic only; csv-parse/browser/esm/sync: one self-contained file with its own Buffer, checked below).
 * csv-parse/sync, for one, is not: it calls Node's global Buffer when loaded.
 */
const BROWSER_SAFE_PACKAGES = new Set(['pure-rand', 'csv-parse/browser/esm/sync']);

test("csv-parse's browser build is one file that imports nothing, defines its own Buffer and reads no Node global", () => {
  const source = readFileSync(fileURLToPath(import.meta.resolve('csv-parse/browser/esm/sync')), 'utf8');
  assert.deepEqual(specifiers(source), []);
  assert.match(source, /\bfunction Buffer\s*\(/);
  assert.deepEqual(codeOnly(source).match(/\b(?:process|__dirname|__filename)\b|\brequire\s*\(/g), null);
  // The Node build is the one the browser condition steers around: it does read the global Buffer.
  const nodeBuild = readFileSync(fileURLToPath(new URL('api/index.js', import.meta.resolve('csv-parse/sync'))), 'utf8');
  assert.match(codeOnly(nodeBuild), /\bBuffer\.from\(/);
});

/** Code without comments and string literals, to look for uses of Node's globals. */
function codeOnly(source: string): string {
  return source
    .replace(/\/\*[\s\S]*?\*\//g, '')
    .replace(/(^|[^:'"`])\/\/.*$/gm, '$1')
    .replace(/'(?:[^'\\\n]|\\.)*'|"(?:[^"\\\n]|\\.)*"|`(?:[^`\\]|\\.)*`/g, "''");
}

test("mcomplete's import graph (src/index.ts) has no Node built-in, no Node global and only browser-safe packages", () => {
  const graph = importGraph('src/index.ts');
  assert.ok(
    graph.files.includes('src/complete/complete.ts') && graph.files.includes('src/solver/train.ts'),
    'the walk reached the solvers and complete()',
  );
  assert.ok(graph.files.includes('src/data/formats/csv.ts'), 'the walk reached the CSV reader of the parsers');
  assert.ok(
    graph.external.some(
      ({ specifier, from }) => specifier === 'csv-parse/browser/esm/sync' && from.includes('#csv-parse-sync'),
    ),
    'the CSV reader takes csv-parse through #csv-parse-sync, whose browser target is the browser build',
  );
  assert.deepEqual(nodeImports(graph), []);
  const packages = graph.external.filter(({ specifier }) => !BROWSER_SAFE_PACKAGES.has(specifier));
  assert.deepEqual(
    packages.map(({ specifier, from }) => `${from} imports '${specifier}'`),
    [],
  );
  const globals: string[] = [];
  for (const file of graph.files) {
    const uses = codeOnly(readFileSync(resolve(root, file), 'utf8')).match(
      /\b(?:process|Buffer|__dirname|__filename)\b|\brequire\s*\(/g,
    );
    if (uses) globals.push(`${file} uses ${[...new Set(uses)].join(', ')}`);
  }
  assert.deepEqual(globals, []);
});

test('the Node-globals scan sees code and skips comments and strings', () => {
  const uses = (src: string): string[] => codeOnly(src).match(/\b(?:process|Buffer)\b/g) ?? [];
  assert.deepEqual(uses('const b = Buffer.from([1]);'), ['Buffer']);
  assert.deepEqual(uses('const v = process.env.X; // Buffer'), ['process']);
  assert.deepEqual(uses("/** process */ const s = 'Buffer'; const t = `process`;"), []);
});

test("mcomplete/node's import graph (src/node.ts) does reach Node's built-ins (the scan sees them)", () => {
  const found = nodeImports(importGraph('src/node.ts'));
  assert.ok(
    found.some((f) => f.startsWith('src/linalg/native.ts')),
    found.join('\n'),
  );
  assert.ok(
    found.some((f) => f.startsWith('src/report/html.ts')),
    found.join('\n'),
  );
});

test('the web page imports the library through the curated entry only', () => {
  const web = resolve(root, 'web');
  const deep: string[] = [];
  for (const name of readdirSync(web).filter((f) => f.endsWith('.ts'))) {
    for (const spec of specifiers(readFileSync(resolve(web, name), 'utf8'))) {
      if (spec.startsWith('../src/') && spec !== '../src/index.ts') deep.push(`web/${name} imports '${spec}'`);
    }
  }
  assert.deepEqual(deep, []);
});

test('src/index.ts lists its exports by name (no export *)', () => {
  const code = readFileSync(resolve(root, 'src/index.ts'), 'utf8');
  assert.doesNotMatch(code, /export\s*\*/);
});

/** One exported name and whether it is only a type (an interface, a type alias, or exported with `type`). */
interface ExportedName {
  name: string;
  typeOnly: boolean;
}

/**
 * The names a module exports (values and types), read from its syntax alone: its exported declarations, its
 * `export { … }` lists, and the names of every relative module it re-exports with `export *`. (Every exported
 * declaration's doc comment is eslint's jsdoc/require-jsdoc, in `npm run lint`.)
 */
function exportedNames(entry: string): ExportedName[] {
  const file = resolve(root, entry);
  const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest);
  const names: ExportedName[] = [];
  for (const statement of source.statements) {
    if (ts.isExportDeclaration(statement)) {
      const from =
        statement.moduleSpecifier && ts.isStringLiteral(statement.moduleSpecifier)
          ? statement.moduleSpecifier.text
          : null;
      if (statement.exportClause && ts.isNamedExports(statement.exportClause)) {
        names.push(
          ...statement.exportClause.elements.map((e) => ({
            name: e.name.text,
            typeOnly: statement.isTypeOnly || e.isTypeOnly,
          })),
        );
      } else if (!statement.exportClause && from?.startsWith('.')) {
        names.push(...exportedNames(relative(root, resolve(dirname(file), from))));
      } else {
        throw new Error(`${entry}: unsupported export form '${statement.getText(source)}'`);
      }
    } else if (
      ts.canHaveModifiers(statement) &&
      ts.getModifiers(statement)?.some((m) => m.kind === ts.SyntaxKind.ExportKeyword)
    ) {
      const typeOnly = ts.isInterfaceDeclaration(statement) || ts.isTypeAliasDeclaration(statement);
      if (ts.isVariableStatement(statement)) {
        names.push(...statement.declarationList.declarations.map((d) => ({ name: d.name.getText(source), typeOnly })));
      } else {
        const name = (statement as ts.DeclarationStatement).name;
        if (!name) throw new Error(`${entry}: an exported declaration without a name`);
        names.push({ name: name.getText(source), typeOnly });
      }
    }
  }
  return names;
}

test('mcomplete stays about 60 functions and values, all of which mcomplete/node re-exports', () => {
  const core = exportedNames('src/index.ts');
  const node = exportedNames('src/node.ts').map((e) => e.name);
  assert.equal(new Set(core.map((e) => e.name)).size, core.length, 'mcomplete exports each name once');
  // The types are not counted: an entry exports every type its functions take or return, so that callers can name them.
  const values = core.filter((e) => !e.typeOnly);
  assert.ok(values.length >= 40 && values.length <= 64, `mcomplete exports ${values.length} functions and values`);
  const nodeNames = new Set(node);
  assert.deepEqual(
    core.map((e) => e.name).filter((name) => !nodeNames.has(name)),
    [],
    'mcomplete/node re-exports all of mcomplete',
  );
  for (const name of [
    'useFastestBackend',
    'chooseBackend',
    'loadNativeBackend',
    'sweep',
    'evaluateClaims',
    'writeReport',
  ]) {
    assert.ok(nodeNames.has(name), `mcomplete/node exports ${name}`);
  }
  const coreNames = new Set(core.map((e) => e.name));
  for (const name of ['parseTriplets', 'parseDense', 'parseMatrixMarket', 'InputError']) {
    assert.ok(coreNames.has(name), `mcomplete exports ${name}`);
    assert.ok(nodeNames.has(name), `mcomplete/node exports ${name}`);
  }
  // The solvers with their option and result types, and what forward and initDeepModel take.
  const solvers = ['gnmr', 'altmin', 'scaledGd', 'softImputeAls', 'softImpute', 'nuclearMin', 'trainFactored'];
  const solverTypes = [
    'GnmrOptions',
    'GnmrResult',
    'AltminOptions',
    'AltminResult',
    'ScaledGdOptions',
    'ScaledGdResult',
  ];
  solverTypes.push('SoftImputeAlsOptions', 'SoftImputeAlsResult', 'SoftImputeOptions', 'SoftImputeResult');
  solverTypes.push('NuclearMinOptions', 'NuclearMinResult', 'FactoredTrainOptions', 'FactoredTrainResult', 'Factors');
  const modelNames = ['createDeepWorkspace', 'DeepWorkspace', 'createRng', 'Rng', 'StopReason', 'TrainerSettings'];
  for (const name of [...solvers, ...solverTypes, ...modelNames])
    assert.ok(coreNames.has(name), `mcomplete exports ${name}`);
});
