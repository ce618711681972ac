// native/build.mjs run as npm's install script runs it (a child process); findBlas and the addon's checks are
// unit-tested in test/unit/linalg/native-build.test.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));

test('build.mjs on a machine without the libraries: one line saying why and how, exit code 0', () => {
  const empty = mkdtempSync(path.join(tmpdir(), 'mcomplete-empty-root-'));
  try {
    const r = spawnSync(process.execPath, [path.join(root, 'native/build.mjs'), `--root=${empty}`], {
      encoding: 'utf8',
    });
    assert.equal(r.status, 0);
    const lines = r.stdout.trim().split('\n');
    assert.equal(lines.length, 1, r.stdout);
    assert.match(lines[0], /^mcomplete: native fast path off \(.*cblas\.h.*\); pure-TypeScript backend in use\./);
    assert.match(lines[0], /To get it: .*npm run build:native/);
  } finally {
    rmSync(empty, { recursive: true, force: true });
  }
});

test('build.mjs --dry-run: one line, exit code 0, nothing compiled', () => {
  const r = spawnSync(process.execPath, [path.join(root, 'native/build.mjs'), '--dry-run'], { encoding: 'utf8' });
  assert.equal(r.status, 0);
  assert.equal(r.stdout.trim().split('\n').length, 1, r.stdout);
  assert.match(r.stdout, /^mcomplete: native fast path (would build against OpenBLAS \+ LAPACKE|off)/);
});

test('build.mjs as a library install runs it: one line, nothing compiled, exit code 0', () => {
  // The script decides from npm's environment and where the package lies; a copy of it inside a node_modules folder
  // is what a project's `npm install mcomplete` runs.
  const app = mkdtempSync(path.join(tmpdir(), 'mcomplete-app-'));
  try {
    const pkg = path.join(app, 'node_modules', 'mcomplete', 'native');
    mkdirSync(pkg, { recursive: true });
    for (const f of ['build.mjs', 'find-blas.mjs']) copyFileSync(path.join(root, 'native', f), path.join(pkg, f));
    const env: NodeJS.ProcessEnv = { ...process.env, npm_lifecycle_event: 'install', npm_command: 'install' };
    delete env.MCOMPLETE_BUILD_NATIVE;
    delete env.npm_config_global;
    const r = spawnSync(process.execPath, [path.join(pkg, 'build.mjs')], { encoding: 'utf8', env });
    assert.equal(r.status, 0, r.stderr);
    assert.match(
      r.stdout,
      /^mcomplete: native fast path off \(installed as a library: .*\); pure-TypeScript backend in use\. To get it: run `npm rebuild mcomplete`.*\n$/,
    );
    assert.ok(!existsSync(path.join(pkg, 'build')), 'nothing was compiled');
    const dry = spawnSync(process.execPath, [path.join(pkg, 'build.mjs'), '--dry-run'], {
      encoding: 'utf8',
      env: { ...env, MCOMPLETE_BUILD_NATIVE: '1' },
    });
    assert.doesNotMatch(dry.stdout, /installed as a library/, 'MCOMPLETE_BUILD_NATIVE=1 builds there too');
  } finally {
    rmSync(app, { recursive: true, force: true });
  }
});
