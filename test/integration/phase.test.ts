// `mcomplete phase` end to end through the CLI from source (a child process); the phase grid and table are unit-tested
// in test/unit/study/phase.test.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../helpers/cli.ts';

test('mcomplete phase --quick: results, report, the table, and --resume skips the runs already done', () => {
  const dir = mkdtempSync(join(tmpdir(), 'phase-'));
  try {
    const args = [
      'phase',
      '--quick',
      '--methods',
      'gnmr',
      '--seeds',
      '1',
      '--rhos',
      '2,3',
      '--out',
      dir,
      '--workers',
      '1',
      '--quiet',
    ];
    const r = runCli(args);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /gnmr\s+2\.00\s+232\s+1\/1 \(100%\)/);
    assert.match(r.stdout, /smallest ρ with ≥ 90% success:\n {2}gnmr\s+2\.00/);
    assert.ok(existsSync(join(dir, 'index.html')) && readFileSync(join(dir, 'index.html'), 'utf8').includes('<svg'));
    assert.equal(readFileSync(join(dir, 'results.jsonl'), 'utf8').trim().split('\n').length, 2);
    const again = runCli([...args.filter((a) => a !== '--quiet'), '--resume']);
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stderr, /2 of 2 runs already in/);
    const fresh = runCli(args);
    assert.equal(fresh.code, 2, 'an existing results file is refused without --resume or --force');
    assert.match(fresh.stderr, /already holds results; pass --resume to continue it or --force/);
    const under = runCli(['phase', '--quick', '--out', join(dir, 'index.html', 'x'), '--quiet']);
    assert.equal(under.code, 1, 'an --out under a file fails before any run');
    assert.equal(under.stderr.trim().split('\n').length, 1, under.stderr);
    const bad = runCli(['phase', '--quick', '--methods', 'newton', '--out', dir]);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /'--methods' takes labels among gnmr, altmin/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
