import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { appendFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { runMain } from '../helpers/main.ts';
import { OPTIMIZER_NAMES } from '../../src/optim/index.ts';
import { complete } from '../../src/complete/index.ts';
import { parseTriplets } from '../../src/data/formats/triplets.ts';

// Property: every CLI command fed random flag values never prints a stack trace. Each case runs `mcomplete …`
// in this process through main() (a child process per case would be far too slow), with random flags of the
// command (and some that do not exist), each given a random value: small numbers, junk, out-of-range numbers,
// empty strings, words of the allowed choices, and paths (inputs, missing files, folders, files standing where a
// folder should be, /proc/nope/x). Guards placed first keep every run that does start tiny (3×3 problems, a few
// steps); a random flag given later overrides a guard but its values are small too.
// Asserted for every case: main() resolves (no error escapes), the exit code is 0, 1 or 2, stderr holds no stack
// frame and no raw "TypeError: …" line, a failure ends with one "mcomplete: …" line, and no input file changed.
// Values are mostly (4 in 5) allowed ones, so many cases do real work: of the 5,000 cases of seed 17, 997 exited
// 0 (a fit, a run, a sweep, a report, or --help), 1,079 exited 1 and 2,924 exited 2 (about a minute on one core).
// CASES cases per command, 10 commands: 10 × 1,000 = 10,000 cases in CI (MCOMPLETE_FUZZ_RUNS overrides the count,
// MCOMPLETE_FUZZ_ONLY=<command> runs one command's property, MCOMPLETE_FUZZ_LOG=<file> logs each argv and its time).
const CASES = Number(process.env.MCOMPLETE_FUZZ_RUNS ?? 1000);
const SEED = 17;

const dir = mkdtempSync(join(tmpdir(), 'mcomplete-fuzz-'));
process.chdir(dir); // the default outputs (results.jsonl, report/) land here, not in the repository
const path = (name: string): string => join(dir, name);

// ---- fixtures: inputs (checked unchanged after every case) and odd places ------------------------------------
const ratings = ['user,item,rating'];
for (let i = 0; i < 4; i++) for (let j = 0; j < 3; j++) if ((i + j) % 4 !== 3) ratings.push(`u${i},i${j},${i + j + 1}`);
const record = (sweep: string, seed: number): string =>
  JSON.stringify({
    version: '0.0.0',
    sweep,
    key: `nm/${seed}`,
    name: 'nm',
    method: 'nuclear-min',
    n: 3,
    rank: 1,
    samples: 5,
    seed,
    settings: { n: 3, rank: 1, samples: 5, seed, method: 'nuclear-min', boxTol: 0, relTol: 1e-6, maxIters: 5 },
    recordSpectrumEvery: 0,
    metrics: {
      relError: 0.5 + seed / 10,
      relErrorUnobserved: null,
      trainMSE: 0,
      effectiveRank: 1,
      nuclearNorm: 1,
      ratio: 1,
      iterations: 5,
      seconds: 0,
      stopReason: 'max-iters',
    },
    finalSpectrum: [1, 0.1, 0.01],
    finishedAt: '2026-01-01T00:00:00.000Z',
  });
const spec = {
  name: 'fuzz',
  n: 3,
  rank: 1,
  samples: [5],
  seeds: [0],
  methods: [{ name: 'nm', method: 'nuclear-min', maxIters: 5 }],
};
const INPUTS: Record<string, string | Buffer> = {
  'ratings.csv': `${ratings.join('\n')}\n`,
  'query.csv': 'user,item\nu0,i2\nu3,i0\nu9,i9\n',
  'dense.csv': '1,,3\n2,4,\n,6,9\n1,2,3\n',
  'matrix.mtx': '%%MatrixMarket matrix coordinate real general\n3 3 5\n1 1 1\n1 2 2\n2 2 3\n3 1 4\n3 3 5\n',
  'garbage.bin': Buffer.from([0, 255, 1, 254, 10, 13, 0xef, 0xbb, 0xbf, 7]),
  'empty.txt': '',
  'spec.json': JSON.stringify(spec),
  'bom-spec.json': `\uFEFF${JSON.stringify({ ...spec, seeds: [0, 1] })}`,
  'bad-spec.json': '{"n": 3, "rank": 9, "samples": [5]',
  'huge-spec.json': JSON.stringify({
    ...spec,
    n: 100,
    samples: Array.from({ length: 300 }, (_, i) => i + 1),
    seeds: Array.from({ length: 300 }, (_, i) => i),
  }),
  'results.jsonl': `${record('fuzz', 0)}\n${record('fuzz', 1)}\n`,
  'mixed.jsonl': `${record('fuzz', 0)}\n${record('other', 1)}\n`,
  'notes.jsonl': `${record('fuzz', 0)}\nsome notes\n`,
  'cut.jsonl': `${record('fuzz', 0)}\n${record('fuzz', 1).slice(0, 40)}`,
  'plain.txt': 'not a folder\n',
};
// A saved model of ratings.csv (as `complete --columns user,item,rating --save-model` writes it), and one cut short.
const savedModel = complete(parseTriplets(INPUTS['ratings.csv'] as string, { file: 'ratings.csv' }), {
  method: 'soft-impute',
}).save({ input: { names: ['user', 'item', 'rating'], columnsGiven: true, format: 'triplets' } });
INPUTS['model.mcm'] = Buffer.from(savedModel);
INPUTS['cut-model.mcm'] = Buffer.from(savedModel.subarray(0, savedModel.length >> 1));
for (const [name, content] of Object.entries(INPUTS)) writeFileSync(path(name), content);
mkdirSync(path('folder'));
mkdirSync(join(path('claims-dir'), 'index.html'), { recursive: true }); // claims/report --out whose index.html is a folder
writeFileSync(join(path('claims-dir'), 'results.jsonl'), `${record('someone-else', 0)}\n`);
/** A hash of the files a case reads (its positional arguments and --query files); missing ones hash as absent. */
const digest = (files: readonly string[]): string => {
  const h = createHash('sha256');
  for (const f of files) {
    try {
      h.update(statSync(f).isFile() ? readFileSync(f) : 'folder');
    } catch {
      h.update('absent');
    }
  }
  return h.digest('hex');
};

// ---- values ----------------------------------------------------------------------------------------------
const NUMBERS = [
  '0',
  '1',
  '2',
  '3',
  '-1',
  '0.5',
  '1e-300',
  '1e400',
  '-1e400',
  'NaN',
  'Infinity',
  '0x10',
  '9007199254740993',
  ' 2 ',
  '',
];
const WORDS = [
  'abc',
  'ratio',
  'nuclear',
  'none',
  'adam',
  'sgd',
  'rmsprop',
  'gradient',
  'soft-impute',
  'nuclear-min',
  'deep',
  'factored',
  'auto',
  'mean',
  'last',
  'error',
  '1,2',
  ',',
  'u,i,r',
  'user,item,rating',
  '-',
  '--',
  '\u0000',
  'ü',
];
const inputPath = fc.constantFrom(
  ...Object.keys(INPUTS).map(path),
  path('folder'),
  path('missing.csv'),
  join(path('plain.txt'), 'x'),
  '/proc/nope/x',
  '',
);
// Where an output may go: fresh files (numbered so cases do not collide), inputs, folders, impossible places.
let serial = 0;
const outputPath = fc.oneof(
  fc.constant(null).map(() => path(`out-${serial++}`)),
  inputPath,
  fc.constantFrom(path('folder'), join(path('folder'), 'deep', 'x'), path('claims-dir'), '/dev/null', '/dev/full'),
);
// Counts (sizes, steps) stay small; real-valued settings may also be huge (a learning rate of 1e9 diverges at once).
const smallNumber = fc.oneof(fc.constantFrom(...NUMBERS), fc.integer({ min: 0, max: 6 }).map(String));
const realNumber = fc.oneof(smallNumber, fc.constantFrom('1e9', '1e300', '-1e9', '1e-9'));
const anyValue = fc.oneof(smallNumber, fc.constantFrom(...WORDS), fc.string({ maxLength: 6 }), inputPath);

/** Mostly (4 in 5) an allowed value, else any junk of `junk`: so that many cases get past parsing and do work. */
const v = (valid: string[], junk: fc.Arbitrary<string> = anyValue): fc.Arbitrary<string> =>
  fc.oneof({ arbitrary: fc.constantFrom(...valid), weight: 4 }, { arbitrary: junk, weight: 1 });
const ints = (lo: number, hi: number): string[] => Array.from({ length: hi - lo + 1 }, (_, i) => String(lo + i));
const freshOutput = fc.constant(null).map(() => path(`out-${serial++}`));
const output = fc.oneof({ arbitrary: freshOutput, weight: 3 }, { arbitrary: outputPath, weight: 1 });

type Flag = [name: string, value: fc.Arbitrary<string> | null];
const COMMON: Flag[] = [
  ['--quiet', null],
  ['--help', null],
  ['--no-such-flag', anyValue],
  ['-x', null],
];
const FLAGS: Record<string, Flag[]> = {
  run: [
    ['--n', v(ints(1, 5), smallNumber)],
    ['--rank', v(ints(1, 3), smallNumber)],
    ['--samples', v(ints(1, 25), smallNumber)],
    ['--seed', v(ints(0, 3), smallNumber)],
    ['--method', v(['gradient', 'nuclear-min', 'soft-impute', 'gnmr', 'altmin', 'scaled-gd'])],
    ['--given-rank', v(ints(1, 4), smallNumber)],
    ['--polish', null],
    ['--masks', v(['uniform', 'identifiable'])],
    ['--n2', v(ints(1, 5), smallNumber)],
    ['--rho', v(['0.5', '1', '2', '3'], realNumber)],
    ['--kappa', v(['1', '10', '1e5'], realNumber)],
    ['--mask-min-per-line', v(ints(1, 3), smallNumber)],
    ['--model', v(['deep', 'factored'])],
    ['--depth', v(ints(1, 3), smallNumber)],
    ['--k', v(ints(1, 4), smallNumber)],
    ['--penalty', v(['ratio', 'nuclear', 'frobenius', 'none'])],
    ['--lambda', v(['0', '1e-3', '0.1', '1'], realNumber)],
    ['--optimizer', v([...OPTIMIZER_NAMES])],
    ['--lr', v(['1e-3', '0.1', '10', '1e9'], realNumber)],
    ['--init-scale', v(['1e-3', '1', '1e300'], realNumber)],
    ['--max-iters', v(ints(1, 6), smallNumber)],
    ['--tol', v(['0', '1e-6', '1'], realNumber)],
    ['--stop-at-error', v(['0.5', '1e-9'], realNumber)],
    ['--rel-tol', v(['1e-3', '1'], realNumber)],
    ['--path-length', v(ints(1, 4), smallNumber)],
    ['--lambda-min-ratio', v(['0.1', '1'], realNumber)],
    ['--max-rank', v(ints(1, 3), smallNumber)],
    ['--json', null],
  ],
  complete: [
    ['--query', v([path('query.csv')], inputPath)],
    ['--out', output],
    ['--out-matrix', output],
    ['--report', output],
    ['--columns', v(['user,item,rating', 'item,user,rating', 'rating,item,user'])],
    ['--dense', null],
    ['--header', null],
    ['--method', v(['auto', 'ratio', 'soft-impute', 'nuclear'])],
    ['--rank', v(['1', '1,2', '3'])],
    ['--lambda', v(['0.1', '0,1', '1e-3'])],
    ['--validation', v(['0.1', '0.3', '0.5'], realNumber)],
    ['--seed', v(ints(0, 3), smallNumber)],
    ['--max-steps', v(ints(1, 6), smallNumber)],
    ['--lr', v(['1e-3', '0.1', '1e9'], realNumber)],
    ['--nuclear-weight', v(['0', '0.1'], realNumber)],
    ['--no-center', null],
    ['--no-clip', null],
    ['--no-keep-observed', null],
    ['--duplicates', v(['error', 'mean', 'last'])],
    ['--weight-decay', v(['0', '0.1', '0,0.3'], realNumber)],
    ['--weighting', v(['none', 'frequency', 'uniform'])],
    ['--decay', v(['loss', 'decoupled', 'l2'])],
    ['--report', fc.constant(null).map(() => path(`report-${serial++}.html`))],
    ['--save-model', output],
    ['--workers', v(['0', '1', '2'], smallNumber)],
  ],
  predict: [
    ['--query', v([path('query.csv')], inputPath)],
    ['--out', output],
    ['--no-keep-observed', null],
  ],
  recommend: [
    ['--users', v(['u0', 'u0,u3', 'u9', 'u1,u1'])],
    ['--all-users', null],
    ['--top', v(ints(1, 4), smallNumber)],
    ['--min-support', v(ints(0, 3), smallNumber)],
    ['--include-seen', null],
    ['--out', output],
  ],
  evaluate: [
    ['--folds', v(['2', '3'], smallNumber)],
    ['--methods', v(['biases', 'soft-impute', 'biases,soft-impute', 'auto', 'ratio,ratio', 'svd'])],
    ['--k', v(ints(1, 4), smallNumber)],
    ['--threshold', v(['3', '4.5', '-1'], realNumber)],
    ['--seed', v(ints(0, 3), smallNumber)],
    ['--min-support', v(ints(0, 3), smallNumber)],
    ['--validation', v(['0.1', '0.3', '0.5'], realNumber)],
    ['--max-steps', v(ints(1, 6), smallNumber)],
    ['--columns', v(['user,item,rating', 'item,user,rating', 'rating,item,user'])],
    ['--dense', null],
    ['--header', null],
    ['--duplicates', v(['error', 'mean', 'last'])],
    ['--out-dir', output],
    ['--json', null],
  ],
  sweep: [
    ['--out', output],
    ['--workers', v(['1'], fc.constantFrom('0', '-1', 'abc', '1e400', '999'))],
    ['--resume', null],
    ['--force', null],
    ['--max-runs', v(['1', '2', '10000'], smallNumber)],
  ],
  // claims --out only ever names a place that fails before the claims sweep starts (else a case would run it).
  claims: [
    ['--out', fc.constantFrom(path('plain.txt'), join(path('plain.txt'), 'x'), '/proc/nope/x', path('claims-dir'))],
    ['--full', null],
    ['--workers', v(['0', '1', '2'], smallNumber)],
    ['--resume', null],
    ['--force', null],
    ['--json', null],
  ],
  report: [['--out', output]],
  // phase --out, like claims --out, only names places that fail before its sweep starts.
  phase: [
    ['--out', fc.constantFrom(path('plain.txt'), join(path('plain.txt'), 'x'), '/proc/nope/x', path('claims-dir'))],
    ['--quick', null],
    ['--grid', v(['n100', 'n300', 'n9'])],
    ['--methods', v(['gnmr', 'gnmr,altmin', 'newton', ''])],
    ['--rhos', v(['1.5', '2,3', '-1', 'abc'], realNumber)],
    ['--seeds', v(['1', '2'], smallNumber)],
    ['--success', v(['1e-6'], realNumber)],
    ['--workers', v(['1'], smallNumber)],
    ['--resume', null],
    ['--force', null],
    ['--json', null],
    ['--queue', v(['http://x', ''])],
  ],
  // atlas --out, like claims --out, only names places that fail before its sweeps start.
  atlas: [
    ['--out', fc.constantFrom(path('plain.txt'), join(path('plain.txt'), 'x'), '/proc/nope/x', path('claims-dir'))],
    ['--quick', null],
    ['--optimizers', v(['adam', 'sign,muon', 'lion'])],
    ['--penalties', v(['ratio', 'none,nuclear', 'l1'])],
    ['--depths', v(['1', '1,3', '4'], smallNumber)],
    ['--seeds', v(['0', '0,1'], smallNumber)],
    ['--workers', v(['0', '1', '2'], smallNumber)],
    ['--lr-rule', v(['holdout', 'objective', 'relerror'])],
    ['--tune-fraction', v(['0.25', '1', '0', '1.5'], realNumber)],
    ['--resume', null],
    ['--force', null],
    ['--json', null],
    ['--queue', v(['http://x', ''])],
  ],
};
/** Guards first (a later random flag overrides them): tiny problems and few steps for any run that starts. */
const GUARDS: Record<string, string[]> = {
  run: ['--n', '3', '--rank', '1', '--samples', '5', '--max-iters', '5', '--quiet'],
  complete: ['--max-steps', '5', '--workers', '0', '--quiet'],
  predict: ['--quiet'],
  recommend: ['--quiet'],
  evaluate: ['--max-steps', '5', '--methods', 'biases,soft-impute', '--quiet'],
  sweep: ['--workers', '1', '--quiet'],
  claims: ['--out', path('claims-dir'), '--quiet'],
  report: [],
  atlas: ['--out', path('plain.txt'), '--quick', '--quiet'],
  phase: ['--out', path('plain.txt'), '--quick', '--quiet'],
};
const POSITIONAL: Record<string, fc.Arbitrary<string[]>> = {
  run: fc.constant<string[]>([]),
  complete: fc.oneof(
    { arbitrary: fc.constantFrom(...['ratings.csv', 'dense.csv', 'matrix.mtx'].map(path)).map((p) => [p]), weight: 3 },
    { arbitrary: inputPath.map((p) => [p]), weight: 2 },
    { arbitrary: fc.constant<string[]>([]), weight: 1 },
  ),
  // A valid spec now and then (a real one-run sweep on a worker thread, about 1 s), mostly cheap failures.
  sweep: fc.oneof(
    { arbitrary: inputPath.map((p) => [p]), weight: 16 },
    { arbitrary: fc.constant<string[]>([]), weight: 2 },
    { arbitrary: fc.constant<string[]>([path('spec.json'), path('spec.json')]), weight: 1 },
    { arbitrary: fc.constant<string[]>([path('spec.json')]), weight: 1 },
  ),
  predict: fc.oneof(
    { arbitrary: fc.constantFrom(...['model.mcm', 'cut-model.mcm'].map(path)).map((p) => [p]), weight: 3 },
    { arbitrary: inputPath.map((p) => [p]), weight: 2 },
  ),
  recommend: fc.oneof(
    { arbitrary: fc.constantFrom(...['model.mcm', 'cut-model.mcm'].map(path)).map((p) => [p]), weight: 3 },
    { arbitrary: inputPath.map((p) => [p]), weight: 2 },
  ),
  evaluate: fc.oneof(
    { arbitrary: fc.constantFrom(...['ratings.csv', 'dense.csv', 'matrix.mtx'].map(path)).map((p) => [p]), weight: 3 },
    { arbitrary: inputPath.map((p) => [p]), weight: 2 },
    { arbitrary: fc.constant<string[]>([]), weight: 1 },
  ),
  claims: fc.constant<string[]>([]),
  atlas: fc.constant<string[]>([]),
  phase: fc.constant<string[]>([]),
  report: fc.oneof(
    { arbitrary: fc.constantFrom(...['results.jsonl', 'cut.jsonl'].map(path)).map((p) => [p]), weight: 1 },
    { arbitrary: inputPath.map((p) => [p]), weight: 3 },
    { arbitrary: fc.constant<string[]>([]), weight: 1 },
  ),
};

/** Random argv for `command`: guards, positional arguments and up to 6 random flags, shuffled after the guards. */
function argvFor(command: string): fc.Arbitrary<{ argv: string[]; positional: string[] }> {
  const flag = fc
    .oneof(
      { arbitrary: fc.constantFrom(...FLAGS[command]), weight: 12 },
      { arbitrary: fc.constantFrom(...COMMON), weight: 1 },
    )
    .chain(([name, value]) => (value ? value.map((v): string[] => [name, v]) : fc.constant<string[]>([name])));
  return fc.tuple(POSITIONAL[command], fc.array(flag, { maxLength: 6 }), fc.nat()).map(([positional, flags, at]) => {
    const cut = at % (flags.length + 1); // the positional arguments go between two flags, never inside one
    return {
      argv: [command, ...GUARDS[command], ...flags.slice(0, cut).flat(), ...positional, ...flags.slice(cut).flat()],
      positional,
    };
  });
}

const STACK_FRAME = /^\s+at .*(?:\(.*:\d+:\d+\)|:\d+:\d+)$/m;
const RAW_ERROR = /^(?:Uncaught )?(?:[A-Z][A-Za-z]*Error|Error)(?: \[[A-Z_]+\])?: /m;

for (const command of Object.keys(FLAGS).filter(
  (c) => !process.env.MCOMPLETE_FUZZ_ONLY || c === process.env.MCOMPLETE_FUZZ_ONLY,
)) {
  test(`mcomplete ${command} fed random flag values never prints a stack trace, exits 0, 1 or 2, and leaves its inputs as they were (${CASES} cases)`, async () => {
    await fc.assert(
      fc.asyncProperty(argvFor(command), async ({ argv, positional }) => {
        const inputs = [
          ...positional,
          ...argv.flatMap((a, i) => (a === '--query' && i + 1 < argv.length ? [argv[i + 1]] : [])),
        ];
        const before = digest(inputs);
        const t0 = performance.now();
        if (process.env.MCOMPLETE_FUZZ_LOG)
          appendFileSync(process.env.MCOMPLETE_FUZZ_LOG, `start ${JSON.stringify(argv)}\n`);
        const r = await runMain(argv);
        if (process.env.MCOMPLETE_FUZZ_LOG)
          appendFileSync(process.env.MCOMPLETE_FUZZ_LOG, `${(performance.now() - t0).toFixed(0)} ms ${r.code}\n`);
        const where = `argv: ${JSON.stringify(argv)}\nstderr: ${r.stderr}`;
        assert.ok([0, 1, 2].includes(r.code), `exit ${r.code}; ${where}`);
        assert.doesNotMatch(r.stderr, STACK_FRAME, where);
        assert.doesNotMatch(r.stderr, RAW_ERROR, where);
        if (r.code !== 0) assert.match(r.stderr.trimEnd().split('\n').at(-1) ?? '', /^mcomplete: /, where);
        assert.equal(digest(inputs), before, `an input changed; ${where}`);
        for (const name of readdirSync(dir)) if (/\.tmp$|\.probe$/.test(name)) assert.fail(`left ${name}; ${where}`);
        assert.ok(statSync(path('claims-dir')).isDirectory());
      }),
      { numRuns: CASES, seed: SEED, endOnFailure: true },
    );
  });
}
