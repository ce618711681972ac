// The floors rule of docs/design/architecture.md: a file imports only from its own floor or lower ones, the
// folders of floor 4 in a fixed order (one run of a method, then the sweep engine, then the studies, then reports),
// and nothing browser-safe imports Node's built-ins. Read from the import lines of src/, no compilation.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const src = fileURLToPath(new URL('../../src/', import.meta.url));

/** The floor of a file under src/ by its folder (root files by name); fractional floors order the folders of floor 4. */
const FLOORS: Record<string, number> = {
  'defaults.ts': 0,
  'params.ts': 0,
  linalg: 1,
  random: 1,
  penalty: 2,
  model: 2,
  optim: 2,
  data: 2,
  metrics: 2,
  solver: 3,
  methods: 4,
  complete: 4,
  sweep: 4.1,
  study: 4.2,
  report: 4.3,
  cli: 5,
  'index.ts': 6,
  'node.ts': 6,
};

/** Every .ts file below `dir`. */
function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? files(path) : path.endsWith('.ts') ? [path] : [];
  });
}

/** The floor of a path under src/. */
function floorOf(path: string): number {
  const top = relative(src, path).split('/')[0];
  const floor = FLOORS[top];
  assert.ok(floor !== undefined, `no floor for ${relative(src, path)}: add its folder to FLOORS and to docs/design`);
  return floor;
}

/** The import specifiers of a file (static and dynamic), without type-only imports, which leave nothing at run time. */
function importsOf(path: string): string[] {
  const text = readFileSync(path, 'utf8');
  const statements = [...text.matchAll(/^(?:import|export)\b[^;]*?from\s*'([^']+)'/gms)].filter(
    (m) => !/^(?:import|export)\s+type\b/.test(m[0]),
  );
  const dynamic = [...text.matchAll(/\bimport\(\s*'([^']+)'\s*\)/g)];
  return [...statements, ...dynamic].map((m) => m[1]);
}

test('no file under src/ imports from a higher floor', () => {
  const violations: string[] = [];
  for (const file of files(src)) {
    for (const spec of importsOf(file)) {
      if (!spec.startsWith('.')) continue;
      const target = resolve(dirname(file), spec);
      if (floorOf(target) > floorOf(file)) violations.push(`${relative(src, file)} → ${relative(src, target)}`);
    }
  }
  assert.deepEqual(violations, []);
});

test("below the CLI nothing imports Node's built-ins except the native loader and the sweep engine", () => {
  const allowed = (file: string): boolean =>
    /^(linalg\/native\.ts|sweep\/|study\/|report\/|cli\/|node\.ts)/.test(relative(src, file));
  const violations = files(src)
    .filter((file) => !allowed(file))
    .filter((file) => importsOf(file).some((spec) => spec.startsWith('node:')))
    .map((file) => relative(src, file));
  assert.deepEqual(violations, []);
});
