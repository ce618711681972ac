// A sweep whose runs fail at once stops its pool while other threads may still be loading their modules; terminating
// such a thread used to abort Node (exit 134, V8's IsGraphAsync check). Stress: fast-failing sweeps, several at a
// time on fresh pools (their threads loading together keep both cores busy), in a child process that must never
// abort. The bigger count: bench/fast-fail.bench.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));

test('fast-failing sweeps, 3 at a time on 2 threads each: every one rejects with its run error, no abort', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fast-fail-'));
  try {
    const r = spawnSync(process.execPath, ['--import', 'tsx', 'test/helpers/fast-fail-sweeps.ts', '6', '2', '3', dir], {
      cwd: root,
      encoding: 'utf8',
      timeout: 170_000,
    });
    assert.doesNotMatch(r.stderr, /FATAL ERROR|IsGraphAsync/);
    assert.equal(r.signal, null, r.stderr);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout.match(/rejected/g)?.length, 6, r.stdout);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
