// native/build.mjs run as npm's install script runs it (a child process); findBlas and the addon's checks are
// unit-tested in test/unit/linalg/native-build.test.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
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
