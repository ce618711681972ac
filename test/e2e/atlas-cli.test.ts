// `mcomplete atlas` end to end on a slice of the quick atlas: tuning, the choice, the atlas runs, the files, resume.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../helpers/cli.ts';
import { LR_GRID } from '../../src/experiment/atlas.ts';

test('atlas --quick on one cell: tuning runs on seed 1000, the rate with the least objective, the files; resume reruns nothing', () => {
  const out = join(mkdtempSync(join(tmpdir(), 'mcomplete-atlas-')), 'a');
  const args = ['atlas', '--quick', '--optimizers', 'normalized-gd', '--penalties', 'ratio', '--depths', '1', '--seeds', '0', '--workers', '2', '--out', out, '--quiet'];
  const r = runCli([...args, '--json'], 300_000);
  assert.equal(r.code, 0, r.stderr);
  const j = JSON.parse(r.stdout);
  assert.equal(j.choices.length, 1);
  const [choice] = j.choices;
  assert.deepEqual(choice.grid.map((g: { lr: number }) => g.lr), [...LR_GRID]);
  const finite = choice.grid.filter((g: { objective: number | null }) => g.objective !== null);
  const best = finite.reduce((a: { objective: number }, b: { objective: number }) => (b.objective < a.objective ? b : a));
  assert.equal(choice.lr, best.lr, 'the chosen rate has the least final training objective');
  const readLines = (file: string) => readFileSync(join(out, file), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  const tune = readLines('tuning.jsonl');
  const runs = readLines('results.jsonl');
  assert.ok(tune.every((l) => l.sweep === 'atlas-quick-tune') && runs.every((l) => l.sweep === 'atlas-quick'), 'one sweep per file');
  assert.equal(tune.length, LR_GRID.length);
  assert.ok(tune.every((l) => l.seed === 1000 && l.settings.maxIters === 3000));
  assert.equal(runs.length, 1);
  assert.equal(runs[0].settings.lr, choice.lr);
  assert.ok(runs[0].checkpoints.some((c: { tailStep?: number }) => typeof c.tailStep === 'number' && c.tailStep >= 0 && c.tailStep <= 1));
  assert.equal(j.rows[0].seeds + j.rows[0].diverged, 1);
  assert.equal(j.claims[0].id, 9);
  const html = readFileSync(join(out, 'index.html'), 'utf8');
  assert.ok(html.includes('Relative error by optimizer and penalty') && html.includes('<svg'));
  assert.ok(existsSync(join(out, 'atlas.json')));

  const again = runCli(args);
  assert.equal(again.code, 2);
  assert.match(again.stderr, /already holds results; pass --resume/);
  const resumed = runCli([...args, '--resume']);
  assert.equal(resumed.code, 0, resumed.stderr);
  assert.match(resumed.stdout, /normalized-gd\s+ratio\s+1/);
  assert.equal(readLines('tuning.jsonl').length + readLines('results.jsonl').length, tune.length + runs.length, 'nothing rerun');
  // The report command reads the atlas's results file like any other sweep's (one sweep in it).
  const report = runCli(['report', join(out, 'results.jsonl'), '--out', join(out, 'rep')]);
  assert.equal(report.code, 0, report.stderr);
});

test('atlas: a bad optimizer name is a usage error naming the allowed ones', () => {
  const r = runCli(['atlas', '--quick', '--optimizers', 'lion']);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /--optimizers.*expected names among sgd, momentum, adam/);
});
