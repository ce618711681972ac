// Every resume reads its results file through one reader with the duplicate check of `report`: `sweep --resume`,
// `phase --resume` and `atlas --resume` (the queue's resume: queue-hardening.test.ts) refuse a file that holds a run
// twice, with one line naming the file and both lines, before any run starts, and leave the file as it was.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runMain } from '../helpers/main.ts';
import { expandSweep, validateSweepSpec, type RunTask, type SweepSpec } from '../../src/sweep/spec.ts';
import { PHASE_GRIDS, phaseSweeps } from '../../src/study/phase.ts';
import { ATLAS_FULL, ATLAS_QUICK, restrictProtocol, tuningSpec } from '../../src/study/atlas.ts';
import { packageVersion } from '../../src/sweep/version.ts';

const dir = mkdtempSync(join(tmpdir(), 'mcomplete-resume-dup-'));

/** A record of `task` (its identity fields as a sweep writes them; made-up metrics: nothing reads them here). */
function recordLine(spec: SweepSpec, task: RunTask): string {
  const s = task.settings;
  return JSON.stringify({
    version: packageVersion(),
    sweep: spec.name,
    key: task.key,
    name: task.name,
    method: s.method ?? 'gradient',
    n: s.n,
    rank: s.rank,
    samples: s.samples,
    seed: s.seed,
    settings: s,
    recordSpectrumEvery: task.recordSpectrumEvery,
    metrics: { relError: 0.5 },
    finishedAt: '2026-01-01T00:00:00.000Z',
  });
}

/** Write the second task's record, then the first task's twice; run `argv`; expect the one-line refusal. */
async function refusesTwice(file: string, spec: SweepSpec, argv: string[]): Promise<void> {
  const [a, b] = expandSweep(spec);
  const text = `${recordLine(spec, b)}\n${recordLine(spec, a)}\n${recordLine(spec, a)}\n`;
  writeFileSync(file, text);
  const r = await runMain(argv);
  assert.equal(r.code, 1, r.stderr);
  const what = `${a.name} m=${a.settings.samples} seed ${a.settings.seed}`;
  assert.equal(
    r.stderr,
    `mcomplete: ${file}, line 3: a second run of ${what} (the first is on line 2); the file mixes two sweeps named "${spec.name}": put each in its own file\n`,
  );
  assert.equal(readFileSync(file, 'utf8'), text, 'the file changed');
  assert.equal(existsSync(`${file}.lock`), false, 'the lock file was left behind');
}

test('sweep --resume refuses a results file that holds a run twice', async () => {
  const raw = {
    name: 'dup-sweep',
    n: 12,
    rank: 2,
    samples: [60],
    seeds: [0, 1],
    methods: [{ name: 'nm', method: 'nuclear-min', maxIters: 20 }],
  };
  const specFile = join(dir, 'spec.json');
  writeFileSync(specFile, JSON.stringify(raw));
  const out = join(dir, 'sweep.jsonl');
  await refusesTwice(out, validateSweepSpec(raw, specFile), ['sweep', specFile, '--out', out, '--resume', '--quiet']);
});

test('phase --resume refuses a results file that holds a run twice', async () => {
  const out = join(dir, 'phase');
  mkdirSync(out);
  const [{ spec }] = phaseSweeps(PHASE_GRIDS.quick);
  await refusesTwice(join(out, 'results.jsonl'), spec, ['phase', '--quick', '--out', out, '--resume', '--quiet']);
});

test('atlas --resume refuses a tuning file that holds a run twice', async () => {
  const out = join(dir, 'atlas');
  mkdirSync(out);
  const only = { optimizers: ['adam'], penalties: ['ratio'], depths: [1] };
  const protocol = {
    ...restrictProtocol(ATLAS_QUICK, only),
    lrRule: ATLAS_FULL.lrRule,
    tuneFraction: ATLAS_FULL.tuneFraction,
    // The full-length protocol on one tuning seed: one tuning file (halving writes one per round).
    tuning: 'full' as const,
    tuneSeedCount: 1,
  };
  await refusesTwice(join(out, 'tuning.jsonl'), tuningSpec(protocol), [
    'atlas',
    '--quick',
    '--optimizers',
    'adam',
    '--penalties',
    'ratio',
    '--depths',
    '1',
    '--tuning',
    'full',
    '--tune-seeds',
    '1',
    '--out',
    out,
    '--resume',
    '--quiet',
  ]);
});
