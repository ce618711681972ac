import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runMain, type MainResult } from '../helpers/main.ts';

const dir = mkdtempSync(join(tmpdir(), 'mcomplete-sweep-io-'));
let serial = 0;
/** A fresh path in the test folder. */
const fresh = (name: string): string => join(dir, `${serial++}-${name}`);

/** Exit code `code` and exactly one line on stderr, no stack trace, matching `message`. */
function oneLine(r: MainResult, code: number, message: RegExp): void {
  assert.equal(r.code, code, r.stderr);
  const lines = r.stderr.trimEnd().split('\n');
  assert.equal(lines.length, 1, r.stderr);
  assert.match(lines[0], /^mcomplete: /);
  assert.doesNotMatch(r.stderr, /\n\s+at /);
  assert.match(lines[0], message);
}

/** A spec file; `runs` seeds of one nuclear-min method on a 4×4 problem (each run a few milliseconds). */
function spec(fields: Record<string, unknown> = {}, text?: (json: string) => string): string {
  const file = fresh('spec.json');
  const json = JSON.stringify({
    name: 'io',
    n: 4,
    rank: 1,
    samples: [10],
    seeds: [0],
    methods: [{ name: 'nm', method: 'nuclear-min', maxIters: 20 }],
    ...fields,
  });
  writeFileSync(file, text ? text(json) : json);
  return file;
}

/** A line shaped like a run record of sweep `sweep` (not one that this spec has). */
const fakeRecord = (sweep: string, seed = 7): string =>
  JSON.stringify({ version: '0', sweep, key: `k${seed}`, name: 'nm', samples: 10, seed, settings: {}, metrics: null });

// One real one-run sweep, shared by the resume and report tests below.
const specFile = spec();
const results = fresh('results.jsonl');
let sweepRun: Promise<MainResult> | null = null;
const realSweep = (): Promise<MainResult> =>
  (sweepRun ??= runMain(['sweep', specFile, '--out', results, '--workers', '1']));

test('sweep prints the run count before starting, and writes its records', async () => {
  const r = await realSweep();
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr.split('\n')[0], /^mcomplete: sweep io: 1 runs \(1 methods, 1 seeds\)$/);
  assert.equal(readFileSync(results, 'utf8').trimEnd().split('\n').length, 1);
});

test('sweep --out: a missing folder, a folder, a path under a file, /proc/nope/x and the spec itself are one-line errors, exit 1', async () => {
  const file = fresh('plain.txt');
  writeFileSync(file, 'x');
  const before = readFileSync(specFile, 'utf8');
  const cases: [string, RegExp][] = [
    [join(dir, 'no-such-folder', 'r.jsonl'), /folder .* does not exist/],
    [dir, /it is a folder/],
    [join(file, 'r.jsonl'), /is a file, not a folder/],
    ['/proc/nope/x', /cannot write --out here/],
    [specFile, /--out names the spec .* refusing to overwrite an input/],
  ];
  for (const [out, message] of cases) {
    for (const extra of [[], ['--force'], ['--resume']])
      oneLine(await runMain(['sweep', specFile, '--out', out, ...extra]), 1, message);
  }
  assert.equal(readFileSync(specFile, 'utf8'), before);
});

test(
  'sweep: a write that fails mid-sweep (a full disk: /dev/full) is one line, exit 1, not a trace',
  { skip: existsSync('/dev/full') ? false : 'no /dev/full' },
  async () => {
    oneLine(
      await runMain(['sweep', specFile, '--out', '/dev/full', '--force', '--quiet', '--workers', '1']),
      1,
      /\/dev\/full/,
    );
    // Resuming a device would read it whole: /dev/full never ends.
    oneLine(
      await runMain(['sweep', specFile, '--out', '/dev/full', '--resume', '--quiet']),
      1,
      /\/dev\/full: is not a regular file/,
    );
  },
);

test('sweep --resume: a last line that is not a cut-off record (notes, a hand-written line, JSON of another kind) is an error naming file and line; the file is left as it was', async () => {
  const cases: [string, RegExp][] = [
    ['my notes about this sweep\n', /, line 1: not a run record of mcomplete/],
    [`${fakeRecord('io')}\n${fakeRecord('io', 8)}\nhand-written\n`, /, line 3: not a run record/],
    [`${fakeRecord('io')}\n{"name":"a sweep spec"}`, /, line 2: not a run record/], // no newline, but not this tool's record
    [`${fakeRecord('io')}\nnot even JSON`, /, line 2: not a run record/],
  ];
  for (const [content, message] of cases) {
    const out = fresh('resume.jsonl');
    writeFileSync(out, content);
    oneLine(await runMain(['sweep', specFile, '--out', out, '--resume']), 1, message);
    assert.equal(readFileSync(out, 'utf8'), content);
  }
});

test('sweep --resume refuses records of another spec (another sweep name, or runs this spec does not have); the file is left as it was', async () => {
  const other = fresh('other.jsonl');
  const content = `${fakeRecord('something-else')}\n`;
  writeFileSync(other, content);
  oneLine(
    await runMain(['sweep', specFile, '--out', other, '--resume']),
    1,
    /line 1: a run of another sweep \("something-else"\)/,
  );
  assert.equal(readFileSync(other, 'utf8'), content);
  // The real results, resumed with a spec whose method has other settings: its record is not one of the new spec's runs.
  assert.equal((await realSweep()).code, 0);
  const copy = fresh('copy.jsonl');
  writeFileSync(copy, readFileSync(results));
  const changed = spec({ methods: [{ name: 'nm', method: 'nuclear-min', maxIters: 21 }] });
  oneLine(
    await runMain(['sweep', changed, '--out', copy, '--resume']),
    1,
    /line 1: a run of another spec \(nm m=10 seed 0\)/,
  );
  assert.equal(readFileSync(copy, 'utf8'), readFileSync(results, 'utf8'));
});

test('sweep counts runs before expanding: millions of runs are refused in one line (exit 2) unless --max-runs allows them', async () => {
  const seeds = Array.from({ length: 5000 }, (_, i) => i);
  const samples = Array.from({ length: 1000 }, (_, i) => i + 1);
  const huge = spec({ n: 100, samples, seeds });
  oneLine(
    await runMain(['sweep', huge, '--out', fresh('r.jsonl')]),
    2,
    /the spec has 5,000,000 runs .* more than --max-runs 10,000 \(the default\); pass --max-runs 5000000/,
  );
  const three = spec({ seeds: [0, 1, 2] });
  oneLine(
    await runMain(['sweep', three, '--out', fresh('r.jsonl'), '--max-runs', '2']),
    2,
    /the spec has 3 runs .* more than --max-runs 2;/,
  );
  oneLine(await runMain(['sweep', three, '--max-runs', '0']), 2, /--max-runs/);
});

test('a spec with a UTF-8 byte order mark is read like one without', async () => {
  const bom = spec({ seeds: [0, 1] }, (json) => `\uFEFF${json}`);
  // --max-runs 1 stops it right after parsing: the message proves the spec was read.
  oneLine(await runMain(['sweep', bom, '--out', fresh('r.jsonl'), '--max-runs', '1']), 2, /the spec has 2 runs/);
});

test('claims refuses an existing DIR/results.jsonl without --resume or --force (as sweep does) and leaves it as it was', async () => {
  const out = fresh('claims');
  mkdirSync(out);
  const content = `${fakeRecord('claims-quick')}\n`;
  writeFileSync(join(out, 'results.jsonl'), content);
  oneLine(
    await runMain(['claims', '--out', out, '--quiet']),
    2,
    /results\.jsonl already holds results; pass --resume to continue it or --force/,
  );
  assert.equal(readFileSync(join(out, 'results.jsonl'), 'utf8'), content);
  oneLine(await runMain(['claims', '--out', out, '--resume', '--force']), 2, /cannot be used together/);
});

test('claims --out: a file, a path under a file and /proc/nope/x are one-line errors, exit 1, and create nothing', async () => {
  const file = fresh('plain.txt');
  writeFileSync(file, 'x');
  oneLine(await runMain(['claims', '--out', file, '--quiet']), 1, /--out names a file, not a folder/);
  oneLine(await runMain(['claims', '--out', join(file, 'sub'), '--quiet']), 1, /is a file, not a folder/);
  oneLine(await runMain(['claims', '--out', '/proc/nope/x', '--quiet']), 1, /cannot create --out folder/);
  const under = join(dir, 'claims-index-folder');
  mkdirSync(join(under, 'index.html'), { recursive: true });
  oneLine(await runMain(['claims', '--out', under, '--quiet']), 1, /index\.html.*it is a folder/);
  assert.deepEqual(readdirSync(under), ['index.html']);
});

test('report: a missing file, a folder, records without metrics and an empty file are one-line errors, exit 1', async () => {
  oneLine(await runMain(['report', fresh('nope.jsonl')]), 1, /nope\.jsonl: no such file/);
  oneLine(await runMain(['report', dir]), 1, /is a folder, not a results file/);
  const noMetrics = fresh('nometrics.jsonl');
  writeFileSync(
    noMetrics,
    `${JSON.stringify({ version: '0', sweep: 's', key: 'k', name: 'a', samples: 1, seed: 0, settings: {} })}\n`,
  );
  oneLine(await runMain(['report', noMetrics, '--out', fresh('rep')]), 1, /line 1: not a run record/);
  const empty = fresh('empty.jsonl');
  writeFileSync(empty, '');
  oneLine(await runMain(['report', empty, '--out', fresh('rep')]), 1, /holds no runs/);
});

test('report --out: an existing file, a path under a file, /proc/nope/x and index.html a folder are one-line errors; no temporary file is left', async () => {
  assert.equal((await realSweep()).code, 0);
  const file = fresh('plain.txt');
  writeFileSync(file, 'x');
  oneLine(await runMain(['report', results, '--out', file]), 1, /--out names a file, not a folder/);
  oneLine(await runMain(['report', results, '--out', join(file, 'x')]), 1, /is a file, not a folder/);
  oneLine(await runMain(['report', results, '--out', '/proc/nope/x']), 1, /cannot create --out folder/);
  const out = fresh('rep');
  mkdirSync(join(out, 'index.html'), { recursive: true });
  oneLine(await runMain(['report', results, '--out', out]), 1, /index\.html: cannot write --out here: it is a folder/);
  assert.deepEqual(readdirSync(out), ['index.html']);
  const ok = fresh('rep-ok');
  const r = await runMain(['report', results, '--out', ok]);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(readdirSync(ok), ['index.html']);
});

test('report refuses a file that mixes sweeps (seeds would count twice): two sweep names, or one run twice', async () => {
  assert.equal((await realSweep()).code, 0);
  const line = readFileSync(results, 'utf8').trimEnd();
  const twice = fresh('twice.jsonl');
  writeFileSync(twice, `${line}\n${line}\n`);
  oneLine(
    await runMain(['report', twice, '--out', fresh('rep')]),
    1,
    /line 2: a second run of nm m=10 seed 0 \(the first is on line 1\)/,
  );
  const mixed = fresh('mixed.jsonl');
  const other = JSON.stringify({ ...JSON.parse(line), sweep: 'other', seed: 5 });
  writeFileSync(mixed, `${line}\n${other}\n`);
  oneLine(
    await runMain(['report', mixed, '--out', fresh('rep')]),
    1,
    /line 2: a run of sweep "other" after runs of sweep "io"/,
  );
  assert.equal(existsSync(join(dir, 'rep')), false);
});
