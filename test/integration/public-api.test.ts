// The two public entries in a fresh process: importing them has no side effect. (Their exported names and the
// import-graph scans are unit-tested in test/unit/public-api.test.ts; that every exported name is documented is
// eslint's jsdoc/require-jsdoc, in npm run lint.)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));

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
