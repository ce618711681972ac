// The backend setting of `mcomplete run` (MCOMPLETE_BACKEND), through the CLI from source in a child process; the
// backends themselves are unit-tested in test/unit/linalg/backend.test.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { loadNativeBackend } from '../../src/linalg/native.ts';

const loaded = loadNativeBackend();
/** node:test's skip reason when the addon is not built (the tests then say why, and how to build it). */
const skip = loaded.backend ? false : `native backend not built (${loaded.reason}); run \`npm run build:native\``;
const root = fileURLToPath(new URL('../..', import.meta.url));

function cli(args: string[], backend: string): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/entry.ts', ...args], {
    cwd: root,
    encoding: 'utf8',
    env: { ...process.env, MCOMPLETE_BACKEND: backend },
    timeout: 120_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const fast = ['run', '--n', '20', '--rank', '2', '--samples', '150', '--max-iters', '100', '--json', '--quiet'];

test('mcomplete run reports its backend in settings; MCOMPLETE_BACKEND=ts forces TypeScript', () => {
  const r = cli(fast, 'ts');
  assert.equal(r.code, 0, r.stderr);
  assert.equal(JSON.parse(r.stdout).settings.backend, 'ts');
  const bad = cli(fast, 'gpu');
  assert.equal(bad.code, 2);
  assert.equal(bad.stdout, '');
  assert.match(bad.stderr, /^mcomplete: MCOMPLETE_BACKEND must be 'ts' or 'native'/);
  assert.ok(!bad.stderr.includes('    at '), 'no stack trace');
});

test('mcomplete run with MCOMPLETE_BACKEND=native uses it, and agrees with ts', { skip }, () => {
  const n = cli(fast, 'native');
  assert.equal(n.code, 0, n.stderr);
  const out = JSON.parse(n.stdout);
  assert.equal(out.settings.backend, 'native');
  const t = JSON.parse(cli(fast, 'ts').stdout);
  assert.ok(Math.abs(out.relError - t.relError) <= 1e-6 * t.relError);
});
