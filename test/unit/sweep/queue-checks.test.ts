// The checks that stand between a Redis writer and the results: a worker's check of a job (jobProblem), the
// collector's check of a record (recordProblem), and the one-writer lock of a results file.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { METHOD_NAMES } from '../../../src/methods/run.ts';
import { expandSweep, validateSweepSpec, type RunTask, type SweepSpec } from '../../../src/sweep/spec.ts';
import { jobId, jobProblem, type QueueJobData } from '../../../src/sweep/queue.ts';
import { recordProblem } from '../../../src/sweep/queue-sweep.ts';
import { executeTask } from '../../../src/sweep/execute.ts';
import { lockResults, openSweepResults, readResults } from '../../../src/sweep/results.ts';
import { InputError } from '../../../src/data/input-error.ts';

const dir = mkdtempSync(join(tmpdir(), 'mcomplete-queue-checks-'));

/** Sweeps that between them give a run of every method, with rho, kappa, masks, n2, probes and the tail step. */
const specs: SweepSpec[] = [
  validateSweepSpec(
    {
      name: 'every-method',
      n: 12,
      rank: 2,
      samples: [80],
      seeds: [0, 7],
      methods: METHOD_NAMES.map((method) => ({ name: `m-${method}`, method })),
    },
    'a.json',
  ),
  validateSweepSpec(
    {
      name: 'rho',
      n: 12,
      n2: 15,
      rank: 2,
      rho: [1.5, 3],
      kappa: 4,
      masks: 'identifiable',
      seeds: [1],
      recordSpectrumEvery: 5,
      probes: ['invariance', 'tail-step'],
      methods: [
        { name: 'adam', method: 'gradient', lambda: 1e-3, lr: 3e-3, maxIters: 50, polish: true },
        { name: 'nm', method: 'nuclear-min', maxIters: 30 },
      ],
    },
    'b.json',
  ),
  {
    ...validateSweepSpec(
      { name: 'tail', n: 10, rank: 1, samples: [40], seeds: [0], methods: [{ name: 'g', method: 'gradient' }] },
      'c.json',
    ),
    recordTailStep: true,
  },
];

const job = (task: RunTask, sweep = 's'): QueueJobData => ({ task, version: '0.1.0', sweep, identity: 'abc' });

test('a worker accepts every run a valid spec expands to, of every method', () => {
  for (const spec of specs) {
    for (const task of expandSweep(spec))
      assert.equal(jobProblem(jobId(task.key), job(task, spec.name)), null, task.key);
  }
});

test('a worker refuses a job altered in Redis, saying why in one line', () => {
  const [task] = expandSweep(specs[1]);
  const id = jobId(task.key);
  const patched = (patch: Record<string, unknown>): string | null =>
    altered((t) => ({ ...t, settings: { ...t.settings, ...patch } as unknown as RunTask['settings'] }));
  const altered = (change: (t: RunTask) => RunTask): string | null => {
    const t = change(structuredClone(task));
    return jobProblem(id, job(t));
  };
  const cases: [string, string | null, RegExp][] = [
    ['n beyond the limit', patched({ n: 200000 }), /^job: n: expected an integer in 1\.\.100000, got 200000$/],
    ['unknown method', patched({ method: 'no-such' }), /unknown method "no-such"/],
    ['a field no spec gives', patched({ evil: 1 }), /settings are not those a spec gives/],
    ['samples that rho does not give', patched({ samples: 99 }), /settings are not those a spec gives/],
    [
      'a key of other settings',
      altered((t) => ({ ...t, key: expandSweep(specs[1])[1].key })),
      /id .* is not the hash of its run's key/,
    ],
    [
      'a tail-step switch that is not true',
      altered((t) => ({ ...t, recordTailStep: 'yes' as unknown as true })),
      /recordTailStep is not true/,
    ],
    ['a negative seed', patched({ seed: -1 }), /seeds\[0\]: expected an integer/],
  ];
  for (const [what, problem, expected] of cases) {
    assert.ok(problem !== null, what);
    assert.match(problem, expected, what);
    assert.ok(!problem.includes('\n'), what);
  }
  // A dense method beyond its size limit, its sample count consistent: the method's own check refuses it.
  const nm = expandSweep(specs[0]).find((t) => t.name === 'm-nuclear-min')!;
  const big = { ...nm, settings: { ...nm.settings, n: 8000, samples: 100000 } };
  assert.match(jobProblem(jobId(big.key), job(big)) ?? '', /^job: .*5000.*nuclear-min/);
  // The key itself changed together with its id: the settings no longer give that key.
  const otherKey = { ...task, key: task.key.replace('"seed":1', '"seed":2') };
  assert.match(jobProblem(jobId(otherKey.key), job(otherKey)) ?? '', /key is not the key of its settings/);
  assert.match(jobProblem(id, 'x') ?? '', /not an object/);
  assert.match(jobProblem(id, { task, sweep: 's' }) ?? '', /lacks the version/);
  assert.match(jobProblem(id, { ...job(task), task: { key: task.key } }) ?? '', /lacks a key, a name or settings/);
});

test("the collector keeps a worker's record only when it is this run's, checked as a line on disk is", () => {
  const spec = specs[0];
  const task = expandSweep(spec).find((t) => t.name === 'm-nuclear-min')!;
  const record = executeTask(task, { version: '0.1.0', sweep: spec.name });
  assert.equal(recordProblem(record, task, spec.name, '0.1.0'), null);
  const bad = (change: Record<string, unknown>): string | null =>
    recordProblem({ ...structuredClone(record), ...change }, task, spec.name, '0.1.0');
  assert.match(bad({ metrics: { ...record.metrics, relError: 'abc' } }) ?? '', /not a run record/);
  assert.match(bad({ key: undefined }) ?? '', /not a run record/);
  const other = expandSweep(spec).find((t) => t.name === 'm-nuclear-min' && t.key !== task.key)!;
  assert.match(bad({ key: other.key }) ?? '', /key is not this run's/);
  assert.match(bad({ seed: 7 }) ?? '', /samples or seed are not this run's/);
  assert.match(bad({ settings: { ...record.settings, maxIters: 1 } }) ?? '', /settings are not this run's/);
  assert.match(bad({ sweep: 'other' }) ?? '', /names sweep "other"/);
  assert.match(bad({ version: '9.9.9' }) ?? '', /names mcomplete "9\.9\.9"/);
  assert.match(recordProblem(null, task, spec.name, '0.1.0') ?? '', /not a run record/);
});

test('one writer per results file: a second lock is refused naming the holder; a dead holder is taken over', () => {
  const file = join(dir, 'locked.jsonl');
  const lock = lockResults(file);
  assert.throws(
    () => lockResults(file),
    (err: unknown) =>
      err instanceof InputError &&
      err.message.startsWith(`${file}: is being written by process ${process.pid} on ${hostname()}`) &&
      err.message.includes(`remove ${file}.lock`),
  );
  lock.release();
  assert.equal(existsSync(`${file}.lock`), false);
  // A lock left by a process that no longer runs (a child that exited) is taken over.
  const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  writeFileSync(`${file}.lock`, JSON.stringify({ pid: Number(dead.stdout), host: hostname(), since: 'then' }));
  const again = lockResults(file);
  assert.equal(JSON.parse(readFileSync(`${file}.lock`, 'utf8')).pid, process.pid);
  again.release();
});

test('openSweepResults: resume refuses a run held twice (the check of report), leaving the file and no lock', () => {
  const spec = specs[0];
  const tasks = expandSweep(spec);
  const task = tasks.find((t) => t.name === 'm-nuclear-min')!;
  const line = JSON.stringify(executeTask(task, { version: '0.1.0', sweep: spec.name }));
  const file = join(dir, 'twice.jsonl');
  const text = `${line}\n${line}\n`;
  writeFileSync(file, text);
  const keys = new Set(tasks.map((t) => t.key));
  assert.throws(
    () => openSweepResults(file, { resume: true, sweepName: spec.name, keys }),
    (err: unknown) =>
      err instanceof InputError &&
      /twice\.jsonl, line 2: a second run of m-nuclear-min m=80 seed 0 \(the first is on line 1\)/.test(err.message),
  );
  assert.equal(readFileSync(file, 'utf8'), text);
  assert.equal(existsSync(`${file}.lock`), false);
  // Once: accepted, and the writer appends after it; close releases the lock.
  writeFileSync(file, `${line}\n`);
  const opened = openSweepResults(file, { resume: true, sweepName: spec.name, keys });
  assert.equal(opened.existing.records.length, 1);
  assert.equal(existsSync(`${file}.lock`), true);
  opened.writer.close();
  assert.equal(existsSync(`${file}.lock`), false);
  assert.equal(readResults(file).records.length, 1);
});
