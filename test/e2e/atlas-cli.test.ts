// `mcomplete atlas` end to end on a slice of the quick atlas: tuning, the choice, the atlas runs, the files, resume.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../helpers/cli.ts';
import { LR_GRID } from '../../src/study/atlas.ts';

test('atlas --quick on one cell: tuning runs on seed 1000 holding out a tenth of Ω, the rate with the least held-out RMSE, the files; resume reruns nothing, with the other rule it is refused', () => {
  const out = join(mkdtempSync(join(tmpdir(), 'mcomplete-atlas-')), 'a');
  const args = [
    'atlas',
    '--quick',
    '--optimizers',
    'normalized-gd',
    '--penalties',
    'ratio',
    '--depths',
    '1',
    '--seeds',
    '0',
    '--tune-fraction',
    '0.25',
    '--workers',
    '2',
    '--out',
    out,
    '--quiet',
  ];
  const r = runCli([...args, '--json'], 300_000);
  assert.equal(r.code, 0, r.stderr);
  const j = JSON.parse(r.stdout);
  assert.equal(j.choices.length, 1);
  assert.equal(j.lrRule, 'holdout', 'the default rule');
  const [choice] = j.choices;
  assert.equal(choice.rule, 'holdout');
  assert.deepEqual(
    choice.grid.map((g: { lr: number }) => g.lr),
    [...LR_GRID],
  );
  const finite = choice.grid.filter((g: { value: number | null }) => g.value !== null);
  const best = finite.reduce((a: { value: number }, b: { value: number }) => (b.value < a.value ? b : a));
  assert.equal(choice.lr, best.lr, 'the chosen rate has the least held-out RMSE');
  const readLines = (file: string) =>
    readFileSync(join(out, file), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
  const tune = readLines('tuning.jsonl');
  const runs = readLines('results.jsonl');
  assert.ok(
    tune.every((l) => l.sweep === 'atlas-quick-holdout-tune') && runs.every((l) => l.sweep === 'atlas-quick-holdout'),
    'one sweep per file',
  );
  assert.equal(tune.length, LR_GRID.length);
  assert.ok(tune.every((l) => l.seed === 1000 && l.settings.maxIters === 3000 && l.settings.holdout === 0.1));
  // The record of every grid rate is its tuning run's held-out RMSE (null: diverged).
  for (const g of choice.grid) {
    const line = tune.find((l) => l.settings.lr === g.lr);
    assert.equal(g.value, line.metrics === null ? null : line.metrics.heldoutRMSE);
  }
  assert.equal(runs[0].settings.holdout, undefined, 'the atlas runs train on all of Ω');
  const { protocol } = JSON.parse(readFileSync(join(out, 'atlas.json'), 'utf8'));
  assert.deepEqual([protocol.lrRule, protocol.tuneFraction, protocol.holdoutFraction], ['holdout', 0.25, 0.1]);
  assert.equal(runs.length, 1);
  assert.equal(runs[0].settings.lr, choice.lr);
  assert.ok(
    runs[0].checkpoints.some(
      (c: { tailStep?: number }) => typeof c.tailStep === 'number' && c.tailStep >= 0 && c.tailStep <= 1,
    ),
  );
  assert.equal(j.rows[0].seeds + j.rows[0].diverged, 1);
  assert.equal(j.claims[0].id, 9);
  const html = readFileSync(join(out, 'index.html'), 'utf8');
  assert.ok(html.includes('Relative error by optimizer and penalty') && html.includes('<svg'));
  assert.ok(html.includes('least RMSE on held-out observed entries') && html.includes('<th>lr chosen by</th>'));
  assert.ok(existsSync(join(out, 'atlas.json')));

  const again = runCli(args);
  assert.equal(again.code, 2);
  assert.match(again.stderr, /already holds results; pass --resume/);
  const resumed = runCli([...args, '--resume']);
  assert.equal(resumed.code, 0, resumed.stderr);
  assert.match(resumed.stdout, /normalized-gd\s+ratio\s+1/);
  assert.match(resumed.stdout, /normalized-gd\s+ratio\s+1\s+\S+\s+holdout/);
  assert.equal(
    readLines('tuning.jsonl').length + readLines('results.jsonl').length,
    tune.length + runs.length,
    'nothing rerun',
  );
  const otherRule = runCli([...args, '--lr-rule', 'objective', '--resume']);
  assert.equal(otherRule.code, 1, otherRule.stderr);
  assert.match(otherRule.stderr, /tuning\.jsonl.*another sweep \("atlas-quick-holdout-tune"\)/);
  assert.equal(otherRule.stderr.trim().split('\n').length, 1, 'one line');
  assert.equal(readLines('tuning.jsonl').length, tune.length, 'the refused resume wrote nothing');
  // The report command reads the atlas's results file like any other sweep's (one sweep in it).
  const report = runCli(['report', join(out, 'results.jsonl'), '--out', join(out, 'rep')]);
  assert.equal(report.code, 0, report.stderr);
});

test('atlas: a bad optimizer name or learning-rate rule is a usage error naming the allowed ones', () => {
  const r = runCli(['atlas', '--quick', '--optimizers', 'lion']);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /--optimizers.*expected names among sgd, momentum, adam/);
  const rule = runCli(['atlas', '--quick', '--lr-rule', 'relerror']);
  assert.equal(rule.code, 2);
  assert.match(rule.stderr, /--lr-rule.*Allowed choices are objective, holdout/);
  const share = runCli(['atlas', '--quick', '--tune-fraction', '1.5']);
  assert.equal(share.code, 2);
  assert.match(share.stderr, /--tune-fraction.*expected a number in \(0, 1\]/);
});
