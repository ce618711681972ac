// `mcomplete atlas` end to end on a slice of the quick atlas: tuning, the choice, the atlas runs, the files, resume.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../helpers/cli.ts';
import { startCli, type CliProcess } from '../helpers/cli-process.ts';
import { haveRedisServer, startRedis } from '../helpers/redis.ts';
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
    '--tuning',
    'full',
    '--tune-seeds',
    '1',
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

/** The lines of a JSON Lines file. */
function jsonLines(file: string): Record<string, unknown>[] {
  const text = readFileSync(file, 'utf8').trim();
  return text === '' ? [] : text.split('\n').map((l) => JSON.parse(l));
}

test('atlas --quick under successive halving on two tuning seeds: the rounds, the carried runs, the worst-seed choice, the step counts, claims 9 and 10', () => {
  const out = join(mkdtempSync(join(tmpdir(), 'mcomplete-atlas-')), 'h');
  const args = [
    'atlas',
    '--quick',
    '--optimizers',
    'sign',
    '--penalties',
    'ratio,nuclear',
    '--depths',
    '1',
    '--seeds',
    '0',
    '--tuning',
    'halving',
  ];
  const r = runCli([...args, '--workers', '2', '--out', out, '--quiet', '--json'], 600_000);
  assert.equal(r.code, 0, r.stderr);
  const j = JSON.parse(r.stdout);
  assert.equal(j.tuning, 'halving', 'the protocol asked for (the default before lean)');
  assert.equal(j.sweep, 'atlas-quick-holdout-halving');
  const rounds = [1, 2, 3].map((k) => jsonLines(join(out, `tuning-${k}.jsonl`)));
  const all = rounds.flat() as {
    name: string;
    seed: number;
    settings: Record<string, number>;
    metrics: { iterations: number; stopReason: string; heldoutRMSE: number } | null;
  }[];
  // Every tuning run holds out a tenth, carries the early stop, and names its round, budget and the cap.
  for (const rec of all) {
    assert.equal(rec.settings.holdout, 0.1);
    assert.equal(rec.settings.earlyStopWindow, 3000);
    assert.match(rec.name, /· round [123]\/3 \((1333|4000|12000) of 12000 steps\)$/);
    assert.ok([1000, 1001].includes(rec.seed));
  }
  for (const c of j.choices) {
    const [r1, r2, r3] = c.rounds;
    assert.deepEqual(r1.lrs, [...LR_GRID]);
    assert.deepEqual([r1.budget, r2.budget, r3.budget], [1333, 4000, 12000]);
    assert.ok(r2.lrs.length <= 3 && r3.lrs.length <= Math.max(1, Math.ceil(r2.lrs.length / 3), 2));
    assert.ok(r3.lrs.every((lr: number) => r2.lrs.includes(lr)) && r2.lrs.every((lr: number) => r1.lrs.includes(lr)));
    // The chosen rate is the finalist with the least worst-over-seeds held-out RMSE, recomputed from the files.
    const latest = (lr: number, seed: number) =>
      [...all]
        .reverse()
        .find(
          (x) =>
            x.settings.lr === lr &&
            x.seed === seed &&
            x.name.startsWith(`tune: ${c.cell.optimizer} · ${c.cell.penalty} · depth 1 · lr ${lr} ·`),
        );
    const worst = (lr: number) => {
      const v = [1000, 1001].map((s) => latest(lr, s)?.metrics?.heldoutRMSE ?? NaN);
      return v.some((x) => !Number.isFinite(x)) ? Infinity : Math.max(...v);
    };
    const best = [...r3.lrs].sort((a: number, b: number) => worst(a) - worst(b) || a - b)[0];
    assert.equal(c.lr, best);
    assert.equal(c.grid.find((g: { lr: number }) => g.lr === c.lr).value, worst(c.lr));
    assert.equal(c.fixedCapSteps, LR_GRID.length * 2 * 12000);
    assert.ok(c.stepsRun < c.fixedCapSteps);
  }
  // A run that stopped before its budget is not rerun in a later round.
  for (let k = 1; k < 3; k++)
    for (const rec of rounds[k] as typeof all) {
      const before = (rounds[k - 1] as typeof all).find(
        (x) =>
          x.settings.lr === rec.settings.lr &&
          x.seed === rec.seed &&
          x.name.split(' · round')[0] === rec.name.split(' · round')[0],
      );
      if (before) assert.equal(before.metrics?.stopReason, 'max-iters', `${rec.name} was rerun after an early stop`);
    }
  const steps = all.reduce((a, x) => a + (x.metrics ? x.metrics.iterations : 0), 0);
  assert.ok(steps <= j.steps.tuning.run && j.steps.tuning.run < j.steps.tuning.fixedCap);
  const atlasRuns = jsonLines(join(out, 'results.jsonl')) as typeof all;
  assert.ok(atlasRuns.every((x) => x.settings.earlyStopWindow === 3000 && x.settings.holdout === undefined));
  assert.equal(j.steps.atlas.fixedCap, 12000 * atlasRuns.length);
  assert.deepEqual(
    j.claims.map((c: { id: number }) => c.id),
    [9, 10],
  );
  assert.match(j.claims[1].criterion, /ratio vs nuclear/);
  const html = readFileSync(join(out, 'index.html'), 'utf8');
  assert.ok(html.includes('Successive halving') && html.includes('the worst over tuning seeds 1000, 1001'));
  const resumed = runCli([...args, '--out', out, '--quiet', '--resume']);
  assert.equal(resumed.code, 0, resumed.stderr);
  assert.match(resumed.stdout, /Steps run: tuning \d+ of \d+, atlas \d+ of \d+/);
  assert.equal(
    [1, 2, 3].map((k) => jsonLines(join(out, `tuning-${k}.jsonl`)).length).reduce((a, b) => a + b),
    all.length,
    'nothing rerun',
  );
});

test('atlas --quick under the lean protocol (the default): rounds on both seeds, the last on seed 1000, checks on 1001, the worst-seed choice, the records; resume reruns nothing, under halving it is refused', () => {
  const out = join(mkdtempSync(join(tmpdir(), 'mcomplete-atlas-')), 'l');
  const args = ['atlas', '--quick', '--optimizers', 'sign', '--penalties', 'ratio', '--depths', '1', '--seeds', '0'];
  const r = runCli([...args, '--workers', '2', '--out', out, '--quiet', '--json'], 600_000);
  assert.equal(r.code, 0, r.stderr);
  const j = JSON.parse(r.stdout);
  assert.equal(j.tuning, 'lean', 'the default protocol');
  assert.equal(j.sweep, 'atlas-quick-holdout-lean');
  type Rec = {
    name: string;
    sweep: string;
    seed: number;
    settings: Record<string, number>;
    metrics: { iterations: number; stopReason: string; heldoutRMSE: number } | null;
  };
  const files = ['tuning-1', 'tuning-2', 'tuning-3', 'check-1', 'check-2'].map((f) => join(out, `${f}.jsonl`));
  const stages = files.map((f) => (existsSync(f) ? (jsonLines(f) as unknown as Rec[]) : []));
  const [r1, r2, r3, c1, c2] = stages;
  assert.ok(
    r1.length === 14 &&
      r1.every((x) => x.settings.maxIters === 1333 && /round 1\/3 \(1333 of 12000 steps\)$/.test(x.name)),
  );
  assert.ok(r2.every((x) => x.settings.maxIters === 4000 && x.sweep === 'atlas-quick-holdout-lean-tune-2'));
  assert.ok(
    r3.length > 0 && r3.every((x) => x.seed === 1000 && x.settings.maxIters === 12000),
    'the last round on seed 1000',
  );
  assert.ok(
    c1.length > 0 &&
      [...c1, ...c2].every((x) => x.seed === 1001 && /check [12]\/2 \(12000 of 12000 steps\)$/.test(x.name)),
  );
  for (const x of stages.flat()) assert.ok(x.settings.holdout === 0.1 && x.settings.earlyStopWindow === 3000);
  const [c] = j.choices;
  assert.deepEqual(
    c.rounds.map((x: { budget: number; seeds: number[] }) => [x.budget, x.seeds]),
    [
      [1333, [1000, 1001]],
      [4000, [1000, 1001]],
      [12000, [1000]],
      [12000, c.rounds[3].seeds],
      [12000, c.rounds[4].seeds],
    ],
  );
  // The rate chosen: among the finalists run at the cap on both seeds, the least worst held-out RMSE, from the files.
  const atCap = (lr: number, seed: number) =>
    stages
      .flat()
      .filter((x) => x.settings.lr === lr && x.seed === seed)
      .find((x) => x.settings.maxIters === 12000 || x.metrics?.stopReason !== 'max-iters');
  const complete = c.rounds[2].lrs.filter((lr: number) => atCap(lr, 1000) && atCap(lr, 1001));
  const worst = (lr: number) => Math.max(...[1000, 1001].map((s) => atCap(lr, s)?.metrics?.heldoutRMSE ?? Infinity));
  assert.ok(complete.length >= 1);
  assert.equal(c.lr, [...complete].sort((a: number, b: number) => worst(a) - worst(b) || a - b)[0]);
  assert.equal(c.grid.find((g: { lr: number }) => g.lr === c.lr).value, worst(c.lr));
  // A finalist left unchecked could not have won: its seed-1000 score at the cap is no less than the winner's worst.
  for (const lr of c.rounds[2].lrs.filter((x: number) => !complete.includes(x)))
    assert.ok(atCap(lr, 1000)!.metrics!.heldoutRMSE >= worst(c.lr));
  const steps = stages.flat().reduce((a, x) => a + (x.metrics ? x.metrics.iterations : 0), 0);
  assert.equal(c.stepsRun, steps);
  assert.equal(j.steps.tuning.run, steps);
  assert.equal(j.steps.tuning.fixedCap, LR_GRID.length * 2 * 12000);
  const { protocol } = JSON.parse(readFileSync(join(out, 'atlas.json'), 'utf8'));
  assert.deepEqual([protocol.tuning, protocol.leanDivisors, protocol.halvingRounds], ['lean', [9, 3, 1], 3]);
  const resumed = runCli([...args, '--out', out, '--quiet', '--resume']);
  assert.equal(resumed.code, 0, resumed.stderr);
  assert.equal(
    files.reduce((a, f) => a + (existsSync(f) ? jsonLines(f).length : 0), 0),
    stages.flat().length,
    'nothing rerun',
  );
  const old = runCli([...args, '--out', out, '--quiet', '--resume', '--tuning', 'halving']);
  assert.equal(old.code, 1, old.stderr);
  assert.match(old.stderr, /tuning-1\.jsonl.*another sweep \("atlas-quick-holdout-lean-tune-1"\)/);
  assert.equal(old.stderr.trim().split('\n').length, 1, 'one line');
});

test(
  'atlas --queue through a real Redis: every tuning round and the atlas runs go to a worker process, the same choice and records as a local atlas',
  { skip: haveRedisServer() ? false : 'no redis-server binary on the PATH (Debian: apt-get install redis-server)' },
  async () => {
    const redis = await startRedis();
    const started: CliProcess[] = [];
    try {
      const base = mkdtempSync(join(tmpdir(), 'mcomplete-atlas-queue-'));
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
        '--quiet',
      ];
      const worker = startCli(['worker', '--queue', redis.url, '--queue-name', 'atlas-e2e']);
      started.push(worker);
      await worker.waitForStderr(/waiting for runs/, 60_000);
      const collector = startCli([
        ...args,
        '--queue',
        redis.url,
        '--queue-name',
        'atlas-e2e',
        '--out',
        join(base, 'q'),
        '--json',
      ]);
      started.push(collector);
      assert.equal(await collector.exited, 0, collector.stderr());
      const queued = JSON.parse(collector.stdout());
      assert.match(worker.stderr(), /finished /);
      const local = runCli([...args, '--workers', '1', '--out', join(base, 'l'), '--json'], 600_000);
      assert.equal(local.code, 0, local.stderr);
      const here = JSON.parse(local.stdout);
      assert.deepEqual(queued.choices, here.choices);
      assert.deepEqual(queued.steps, here.steps);
      const strip = (file: string) =>
        jsonLines(file)
          .map(({ finishedAt: _f, metrics, ...rest }) => {
            const { seconds: _s, ...m } = (metrics ?? {}) as Record<string, unknown>;
            return JSON.stringify({ ...rest, metrics: metrics ? m : null });
          })
          .sort();
      for (const f of ['tuning-1.jsonl', 'tuning-2.jsonl', 'tuning-3.jsonl', 'results.jsonl'])
        assert.deepEqual(strip(join(base, 'q', f)), strip(join(base, 'l', f)), f);
      assert.ok(jsonLines(join(base, 'q', 'results.jsonl')).length === 1);
      worker.kill('SIGTERM');
      assert.equal(await worker.exited, 0, worker.stderr());
    } finally {
      for (const p of started) p.kill('SIGKILL');
      await Promise.all(started.map((p) => p.exited));
      await redis.stop();
    }
  },
);
