// Settings no run can honour are refused before anything runs: exit 2, one line naming the flag (or the file and
// field), and no folder or file left behind. The studies (phase, atlas, claims) validate their sweeps as spec files.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runMain } from '../../helpers/main.ts';
import { decimal } from '../../../src/cli/parse.ts';
import { runSyntheticAsync } from '../../../src/methods/run.ts';

const dir = mkdtempSync(join(tmpdir(), 'mcomplete-refusals-'));

/** `argv` exits 2 with one stderr line matching `pattern`, and leaves `out` (when given) uncreated. */
async function refused(argv: string[], pattern: RegExp, out?: string): Promise<void> {
  const r = await runMain(argv);
  assert.equal(r.code, 2, `${argv.join(' ')}: ${r.stderr}`);
  assert.equal(r.stderr.trimEnd().split('\n').length, 1, r.stderr);
  assert.match(r.stderr, pattern);
  assert.equal(r.stdout, '');
  if (out !== undefined) assert.ok(!existsSync(out), `${out} was created`);
}

test('phase refuses a method, ρ or κ given twice (each would run twice and count twice)', async () => {
  const out = join(dir, 'phase-dup');
  await refused(['phase', '--quick', '--methods', 'gnmr,gnmr', '--out', out], /'--methods' names "gnmr" twice/, out);
  await refused(['phase', '--quick', '--rhos', '2,2', '--out', out], /'--rhos.*"2" is given twice/, out);
  await refused(['phase', '--quick', '--kappas', '1,1', '--out', out], /'--kappas.*"1" is given twice/, out);
  // Two ρ that round to one sample count are the same runs.
  await refused(
    ['phase', '--quick', '--rhos', '1.5,1.5001', '--out', out],
    /option '--rhos'.*duplicate value 174/,
    out,
  );
});

test('phase refuses a ρ whose sample count no run can have, before any run and any file', async () => {
  const out = join(dir, 'phase-rho');
  // m = round(1000·2·58) = 116000 > n² = 900.
  await refused(
    ['phase', '--quick', '--rhos', '2,1000', '--methods', 'gnmr', '--out', out],
    /option '--rhos'.*samples\[1\].*1\.\.n² = 900, got 116000/,
    out,
  );
  // m = 12 < 3·30: identifiable masks need every row and column seen rank + 1 times.
  await refused(
    ['phase', '--quick', '--rhos', '0.1', '--methods', 'gnmr', '--out', out],
    /option '--rhos'.*samples must be at least maskMinPerLine·max\(n, n2\) = 3·30 = 90.*got 12/,
    out,
  );
});

test('atlas refuses a seed, optimizer, penalty or depth given twice', async () => {
  const out = join(dir, 'atlas-dup');
  await refused(['atlas', '--quick', '--seeds', '0,0', '--out', out], /'--seeds.*"0" is given twice/, out);
  await refused(['atlas', '--quick', '--optimizers', 'adam,sgd,adam', '--out', out], /"adam" is given twice/, out);
  await refused(['atlas', '--quick', '--penalties', 'ratio,ratio', '--out', out], /"ratio" is given twice/, out);
  await refused(['atlas', '--quick', '--depths', '1,1', '--out', out], /"1" is given twice/, out);
});

test('phase --quick with --grid is refused: the two choose the grid', async () => {
  const out = join(dir, 'phase-grid');
  await refused(
    ['phase', '--quick', '--grid', 'n300', '--out', out],
    /'--quick' and '--grid' both choose the grid/,
    out,
  );
});

test('numeric flags take decimal numbers only: hexadecimal, binary and octal are refused as data files refuse them', async () => {
  assert.ok(Number.isNaN(decimal('0x2')) && Number.isNaN(decimal('0b10')) && Number.isNaN(decimal('0o2')));
  assert.ok(Number.isNaN(decimal('')) && Number.isNaN(decimal('Infinity')) && Number.isNaN(decimal('1_000')));
  assert.deepEqual(['2', ' 2 ', '-0.5', '.5', '5.', '1e-3', '+3'].map(decimal), [2, 2, -0.5, 0.5, 5, 1e-3, 3]);
  await refused(['phase', '--quick', '--rhos', '0x2', '--out', join(dir, 'hex')], /'--rhos.*'0x2' is invalid/);
  await refused(['run', '--method', 'gnmr', '--given-rank', '0x2'], /'--given-rank.*'0x2' is invalid/);
  await refused(['run', '--n', '0x10'], /'--n.*'0x10' is invalid/);
  await refused(['run', '--rho', '0x2'], /'--rho.*'0x2' is invalid/);
  await refused(['run', '--lr', '0b1'], /'--lr.*'0b1' is invalid/);
  await refused(['complete', 'x.csv', '--rank', '0x2'], /'--rank.*'0x2' is invalid/);
  await refused(['complete', 'x.csv', '--validation', '0x0'], /'--validation.*'0x0' is invalid/);
  await refused(['phase', '--quick', '--kappas', '0x2', '--out', join(dir, 'hex')], /'--kappas.*'0x2' is invalid/);
});

test('an empty path is refused, never dropped nor read as the current folder', async () => {
  const data = join(dir, 'r.csv');
  writeFileSync(data, 'u,i,r\n1,1,1\n1,2,2\n2,1,2\n2,2,4\n');
  for (const flag of ['--report', '--out-matrix', '--query', '--out']) {
    await refused(
      ['complete', data, flag, ''],
      new RegExp(`'${flag} [^']*' argument '' is invalid. expected a file or folder name`),
    );
  }
  await refused(['complete', '', '--report', join(dir, 'x.json')], /value '' is invalid for argument 'observed'/);
  await refused(['sweep', join(dir, 'spec.json'), '--out', ' '], /'--out <file>' argument ' ' is invalid/);
  await refused(['sweep', ''], /value '' is invalid for argument 'spec.json'/);
  await refused(['report', ''], /value '' is invalid for argument 'results.jsonl'/);
  for (const command of ['phase', 'atlas', 'claims', 'report']) {
    const argv = command === 'report' ? ['report', join(dir, 'results.jsonl')] : [command, '--quick'];
    await refused(
      [...argv.filter((a) => !(command === 'claims' && a === '--quick')), '--out', ''],
      /'--out <dir>' argument '' is invalid/,
    );
  }
  assert.deepEqual(readdirSync(dir).sort(), ['r.csv']);
});

test('--queue with a database beyond 0..15 is a usage error (exit 2) before anything connects or runs', async () => {
  const out = join(dir, 'db99');
  await refused(
    ['worker', '--queue', 'redis://127.0.0.1:1/99'],
    /'--queue <url>'.*database .* must be an integer in 0\.\.15, got "99"/,
  );
  await refused(['phase', '--quick', '--queue', 'redis://127.0.0.1:1/99', '--out', out], /0\.\.15, got "99"/, out);
  await refused(['sweep', join(dir, 's.json'), '--queue', 'redis://127.0.0.1:1/x'], /0\.\.15, got "x"/);
});

test('run --masks identifiable: a count below (r + 1)·max(n, n2) is refused before any draw; the redraws of one above it are reported', async () => {
  await refused(
    ['run', '--masks', 'identifiable', '--n', '12', '--rank', '1', '--samples', '23', '--method', 'gnmr'],
    /option '--samples' must be at least maskMinPerLine·max\(n, n2\) = 2·12 = 24 .*got 23/,
  );
  // 24 = 2·12: every row and column exactly twice, which no uniform draw of 10,000 meets; each draw is reported to
  // the run's hook (the command's progress line), then the one-line refusal.
  const draws: number[] = [];
  const settings = { method: 'gnmr', n: 12, rank: 1, samples: 24, masks: 'identifiable', seed: 0 } as const;
  await assert.rejects(
    runSyntheticAsync(settings, { onMaskDraw: (draw, most) => draws.push(draw === draws.length + 1 ? most : -1) }),
    /masks identifiable: none of 10000 draws of 24 entries \(seed 0\)/,
  );
  assert.equal(draws.length, 10000);
  assert.ok(draws.every((most) => most === 10000));
});
