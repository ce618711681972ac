// Ctrl-C while `mcomplete complete` renders its HTML report (its other outputs already staged in temporary files):
// a real SIGINT to a child process, sent once a temporary file exists, leaves no temporary file and no output. And
// Ctrl-C while it tunes on worker threads: the fit stops, exit 130, nothing written.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startCli } from '../helpers/cli-process.ts';
import { ratingsProblem } from '../helpers/ratings.ts';

test('SIGINT while complete renders its report leaves no temporary file behind (3 tries)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'complete-sigint-'));
  try {
    const p = ratingsProblem({ m: 40, n: 30, rank: 2, p: 0.4, noise: 0.05, seed: 3 });
    writeFileSync(join(dir, 'ratings.csv'), p.observedCsv);
    writeFileSync(join(dir, 'query.csv'), p.queryCsv);
    let interrupted = 0;
    for (let attempt = 0; attempt < 3; attempt++) {
      const cli = startCli([
        'complete',
        join(dir, 'ratings.csv'),
        '--query',
        join(dir, 'query.csv'),
        '--out',
        join(dir, 'pred.csv'),
        '--out-matrix',
        join(dir, 'matrix.csv'),
        '--report',
        join(dir, 'report.html'),
        '--method',
        'soft-impute',
        '--quiet',
      ]);
      // The staged outputs exist as temporary files only while the report renders.
      const deadline = Date.now() + 60_000;
      let staged = false;
      let exited = false;
      void cli.exited.then(() => (exited = true));
      while (!staged && !exited && Date.now() < deadline) {
        staged = readdirSync(dir).some((f) => f.endsWith('.tmp'));
        if (!staged) await new Promise((r) => setTimeout(r, 2));
      }
      if (staged) {
        cli.kill('SIGINT');
        interrupted++;
      }
      const code = await cli.exited;
      const left = readdirSync(dir).filter((f) => !['ratings.csv', 'query.csv'].includes(f));
      if (staged) {
        assert.notEqual(code, 0, cli.stderr());
        assert.deepEqual(left, [], `left behind after SIGINT: ${left.join(', ')}`);
      } else {
        // It finished before the poll saw a temporary file: every output placed, none temporary.
        assert.equal(code, 0, cli.stderr());
        assert.deepEqual(left.sort(), ['matrix.csv', 'pred.csv', 'report.html']);
        for (const f of left) rmSync(join(dir, f));
      }
    }
    assert.ok(interrupted >= 1, 'the report never rendered long enough to be interrupted');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('SIGINT while complete tunes on worker threads stops it: exit 130, one line, no output and no temporary file', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'complete-sigint-tune-'));
  try {
    const p = ratingsProblem({ m: 90, n: 80, rank: 3, p: 0.5, noise: 0.1, seed: 6 });
    writeFileSync(join(dir, 'ratings.csv'), p.observedCsv);
    writeFileSync(join(dir, 'query.csv'), p.queryCsv);
    const cli = startCli([
      'complete',
      join(dir, 'ratings.csv'),
      '--query',
      join(dir, 'query.csv'),
      '--out',
      join(dir, 'pred.csv'),
      '--save-model',
      join(dir, 'model.mcm'),
      '--workers',
      '2',
    ]);
    // The plan is printed as tuning starts.
    await cli.waitForStderr(/mcomplete: plan: /, 60_000);
    await new Promise((r) => setTimeout(r, 300));
    cli.kill('SIGINT');
    const code = await cli.exited;
    assert.equal(code, 130, cli.stderr());
    assert.match(cli.stderr(), /mcomplete: interrupted: completeAsync aborted while tuning .*; no file written\n$/);
    assert.doesNotMatch(cli.stderr(), /\n\s+at /, 'a stack trace');
    const left = readdirSync(dir).filter((f) => !['ratings.csv', 'query.csv'].includes(f));
    assert.deepEqual(left, [], `left behind after SIGINT: ${left.join(', ')}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
