import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync, appendFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expandSweep, parseSweepSpec, SpecError, validateSweepSpec, type SweepSpec } from '../../src/sweep/spec.ts';
import { sweep } from '../../src/sweep/sweep.ts';
import { readResults } from '../../src/sweep/results.ts';
import { InputError } from '../../src/data/input-error.ts';
import { runCli } from '../helpers/cli.ts';

const dir = mkdtempSync(join(tmpdir(), 'mcomplete-sweep-'));

// A tiny sweep: 2 methods × 2 sample counts × 2 seeds = 8 runs of well under a second each.
const tiny: SweepSpec = validateSweepSpec(
  {
    name: 'tiny',
    n: 10,
    rank: 1,
    samples: [30, 45],
    seeds: [0, 1],
    recordSpectrumEvery: 40,
    methods: [
      { name: 'adam', method: 'gradient', lr: 3e-3, lambda: 1e-3, 'max-iters': 120 },
      { name: 'nm', method: 'nuclear-min', maxIters: 300 },
    ],
  },
  'tiny.json',
);

/** The error message of `fn`, which must throw a SpecError. */
function specError(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof SpecError, `expected a SpecError, got ${String(err)}`);
    return err.message;
  }
  assert.fail('no error thrown');
}

test('spec validation names the file and the field, and says what is allowed', () => {
  const good = { n: 10, rank: 1, samples: [30], seeds: [0], methods: [{ name: 'a', method: 'gradient' }] };
  const parse = (v: unknown): string => specError(() => parseSweepSpec(JSON.stringify(v), 'spec.json'));
  assert.match(
    specError(() => parseSweepSpec('{"n": 10,\n "rank": }', 'spec.json')),
    /^spec\.json: not valid JSON \(.*Unexpected token/,
  );
  assert.match(parse({ ...good, n: undefined }), /^spec\.json: n: expected an integer in 1\.\.100000, got nothing$/);
  assert.match(parse({ ...good, rank: 11 }), /^spec\.json: rank: expected an integer in 1\.\.10, got 11$/);
  assert.match(
    parse({ ...good, samples: [30, 101] }),
    /^spec\.json: samples\[1\]: expected an integer in 1\.\.n² = 100, got 101$/,
  );
  assert.match(parse({ ...good, seeds: [1, 1] }), /^spec\.json: seeds\[1\]: duplicate value 1$/);
  assert.match(parse({ ...good, methods: [] }), /^spec\.json: methods: expected a non-empty array/);
  assert.match(
    parse({ ...good, methods: [{ name: 'a', method: 'gradient', lr: 'fast' }] }),
    /^spec\.json: methods\[0\]\.lr: expected a finite number > 0, got "fast"$/,
  );
  assert.match(
    parse({ ...good, methods: [{ name: 'a', method: 'newton' }] }),
    /^spec\.json: methods\[0\]\.method: expected one of gradient, nuclear-min, soft-impute/,
  );
  assert.match(
    parse({ ...good, methods: [{ name: 'a', method: 'gradient', optimizer: 'lbfgs' }] }),
    /methods\[0\]\.optimizer: expected one of sgd, momentum, adam/,
  );
  assert.match(
    parse({ ...good, methods: [{ name: 'a', method: 'nuclear-min', lr: 1 }] }),
    /^spec\.json: methods\[0\]\.lr: unknown field for method nuclear-min \(allowed: /,
  );
  assert.match(parse({ ...good, colour: 1 }), /^spec\.json: colour: unknown field/);
  assert.match(
    parse({
      ...good,
      methods: [
        { name: 'a', method: 'gradient' },
        { name: 'a', method: 'nuclear-min' },
      ],
    }),
    /methods\[1\]\.name: duplicate method name "a"/,
  );
  assert.match(
    parse({ ...good, methods: [{ name: 'a', method: 'gradient', samples: [40] }] }),
    /methods\[0\]\.samples\[0\]: 40 is not in the sweep's samples \[30\]/,
  );
  assert.match(
    parse({ ...good, methods: [{ name: 'a', method: 'gradient', maxIters: 5, 'max-iters': 6 }] }),
    /field "maxIters" is given twice/,
  );
});

test('a spec expands to methods × samples × seeds with defaults filled in and distinct keys', () => {
  const tasks = expandSweep(tiny);
  assert.equal(tasks.length, 8);
  assert.equal(new Set(tasks.map((t) => t.key)).size, 8);
  const adam = tasks.find((t) => t.name === 'adam')!;
  assert.deepEqual(adam.settings, {
    n: 10,
    rank: 1,
    samples: 30,
    seed: 0,
    method: 'gradient',
    depth: 1,
    penalty: 'ratio',
    lambda: 1e-3,
    optimizer: 'adam',
    lr: 3e-3,
    initScale: 1e-3,
    maxIters: 120,
    tol: 0,
  });
  const nm = tasks.find((t) => t.name === 'nm')!;
  assert.equal(nm.settings.method, 'nuclear-min');
  // A per-method sample list restricts that method only.
  const sub = validateSweepSpec({ ...tiny, methods: [{ ...tiny.methods[0], samples: [45] }, tiny.methods[1]] }, 'x');
  assert.equal(expandSweep(sub).length, 2 + 4);
});

test('a sweep on 2 workers writes one JSON line per run, with version, settings, seed, metrics and spectra', async () => {
  const out = join(dir, 'two-workers.jsonl');
  const done: number[] = [];
  const s = await sweep(tiny, { out, workers: 2, onRunDone: (_r, k) => done.push(k) });
  assert.equal(s.total, 8);
  assert.equal(s.completed, 8);
  assert.equal(s.interrupted, false);
  assert.deepEqual(done, [1, 2, 3, 4, 5, 6, 7, 8]);
  // The summary lists the runs in the spec's order, whatever order they finished in (tables and figures read it).
  assert.deepEqual(
    s.records.map((r) => r.key),
    expandSweep(tiny).map((t) => t.key),
  );
  const lines = readFileSync(out, 'utf8').split('\n');
  assert.equal(lines.pop(), '');
  assert.equal(lines.length, 8);
  const version = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')).version;
  for (const line of lines) {
    const r = JSON.parse(line);
    assert.equal(r.version, version);
    assert.equal(r.sweep, 'tiny');
    assert.equal(typeof r.metrics.relError, 'number');
    assert.equal(r.settings.seed, r.seed);
    assert.ok(r.finalSpectrum.length === 10);
    if (r.name === 'adam') {
      // Checkpoints every 40 steps: 40, 80, 120; L∗/F runs carry the invariance checks.
      assert.deepEqual(
        r.checkpoints.map((c: { step: number }) => c.step),
        [40, 80, 120],
      );
      assert.ok(
        r.checkpoints.every(
          (c: { scaleGap: number; gradCosine: number }) => c.scaleGap < 1e-12 && c.gradCosine < 1e-12,
        ),
      );
    }
  }
  // Same seeds, same numbers: a second sweep on one worker (another order, another thread) agrees exactly.
  const again = await sweep(tiny, { out: join(dir, 'one-worker.jsonl'), workers: 1 });
  const byKey = new Map(s.records.map((r) => [r.key, r.metrics!.relError]));
  for (const r of again.records) assert.equal(r.metrics!.relError, byKey.get(r.key), r.key);
  // And different seeds give different numbers.
  const seed0 = s.records.find((r) => r.name === 'adam' && r.samples === 30 && r.seed === 0)!;
  const seed1 = s.records.find((r) => r.name === 'adam' && r.samples === 30 && r.seed === 1)!;
  assert.notEqual(seed0.metrics!.relError, seed1.metrics!.relError);
});

test('resume skips the runs in the file and repairs a partial last line left by a kill', async () => {
  const out = join(dir, 'resume.jsonl');
  const full = await sweep(tiny, { out, workers: 2 });
  const lines = readFileSync(out, 'utf8').split('\n').slice(0, 8);
  // Keep 3 complete runs and half of a fourth, as if killed while writing.
  writeFileSync(out, `${lines.slice(0, 3).join('\n')}\n${lines[3].slice(0, 100)}`);
  assert.equal(readResults(out).records.length, 3);
  const ran: string[] = [];
  const s = await sweep(tiny, { out, workers: 2, resume: true, onRunDone: (r) => ran.push(r.key) });
  assert.equal(s.skipped, 3);
  assert.equal(s.completed, 5);
  const kept = new Set(lines.slice(0, 3).map((l) => JSON.parse(l).key));
  assert.ok(
    ran.every((k) => !kept.has(k)),
    'a run already in the file was run again',
  );
  const after = readFileSync(out, 'utf8');
  assert.ok(after.endsWith('\n'));
  const records = after
    .trimEnd()
    .split('\n')
    .map((l) => JSON.parse(l)); // every line parses: the partial one is gone
  assert.equal(records.length, 8);
  assert.deepEqual(new Set(records.map((r) => r.key)), new Set(full.records.map((r) => r.key)));
  // Resuming a complete file runs nothing.
  const none = await sweep(tiny, { out, workers: 2, resume: true });
  assert.equal(none.completed, 0);
  assert.equal(none.skipped, 8);
});

test('aborting stops dispatching, keeps the file consistent, and resume finishes the rest', async () => {
  const out = join(dir, 'abort.jsonl');
  const controller = new AbortController();
  const s = await sweep(tiny, { out, workers: 1, signal: controller.signal, onRunDone: () => controller.abort() });
  assert.equal(s.interrupted, true);
  assert.ok(s.completed >= 1 && s.completed < 8, `completed ${s.completed}`);
  const { records, partialBytes } = readResults(out);
  assert.equal(records.length, s.completed);
  assert.equal(partialBytes, 0);
  const rest = await sweep(tiny, { out, workers: 2, resume: true });
  assert.equal(rest.skipped + rest.completed, 8);
  assert.equal(readResults(out).records.length, 8);
});

test('a malformed line inside a results file is an error naming the file and line', () => {
  const out = join(dir, 'bad.jsonl');
  const rec = (key: string): string =>
    JSON.stringify({ version: '0', sweep: 's', key, name: key, samples: 1, seed: 0, settings: {}, metrics: null });
  writeFileSync(out, `${rec('a')}\nnot json\n${rec('b')}\n`);
  assert.throws(
    () => readResults(out),
    (err: unknown) => err instanceof InputError && /bad\.jsonl, line 2: not a run record/.test(err.message),
  );
  appendFileSync(out, '');
});

test('mcomplete sweep: a bad spec exits 2 with the file and field, no stack trace; a good one writes its lines', () => {
  const bad = join(dir, 'bad-spec.json');
  writeFileSync(
    bad,
    JSON.stringify({
      n: 10,
      rank: 1,
      samples: [30],
      seeds: [0],
      methods: [{ name: 'a', method: 'gradient', depth: 0 }],
    }),
  );
  const r = runCli(['sweep', bad, '--out', join(dir, 'never.jsonl')]);
  assert.equal(r.code, 2);
  assert.equal(r.stderr.trim(), `mcomplete: ${bad}: methods[0].depth: expected an integer in 1..10, got 0`);
  const missing = runCli(['sweep', join(dir, 'nope.json')]);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /nope\.json: cannot read the spec \(no such file\)/);

  const good = join(dir, 'good-spec.json');
  writeFileSync(good, JSON.stringify({ ...tiny, methods: [tiny.methods[1]] }));
  const out = join(dir, 'cli.jsonl');
  const ok = runCli(['sweep', good, '--out', out, '--workers', '2']);
  assert.equal(ok.code, 0, ok.stderr);
  assert.equal(readFileSync(out, 'utf8').trimEnd().split('\n').length, 4);
  assert.match(ok.stdout, /^method\s+m\s+relError/);
  assert.match(ok.stderr, /sweep tiny: 4\/4/);
  // An existing results file is not overwritten by accident.
  const again = runCli(['sweep', good, '--out', out]);
  assert.equal(again.code, 2);
  assert.match(again.stderr, /already holds results; pass --resume to continue it or --force/);
  const resumed = runCli(['sweep', good, '--out', out, '--resume']);
  assert.equal(resumed.code, 0, resumed.stderr);
  assert.match(resumed.stderr, /4 of 4 runs already in/);
});
