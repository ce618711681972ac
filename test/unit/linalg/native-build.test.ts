import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { findBlas, installWants, type BlasFound, type BlasProbe } from '../../../native/find-blas.mjs';
import { loadNativeBackend, nativeAddonPath, nativeSvdError } from '../../../src/linalg/native.ts';
import { zeros, type Matrix } from '../../../src/linalg/matrix.ts';

const root = fileURLToPath(new URL('../../..', import.meta.url));
const loaded = loadNativeBackend();
const skip = loaded.backend ? false : `native backend not built (${loaded.reason}); run \`npm run build:native\``;

/** A machine with exactly these files, and pkg-config answering from `pc` (null: pkg-config is not installed). */
function machine(
  platform: string,
  arch: string,
  files: string[],
  pc: Record<string, string> | null = null,
  env: Record<string, string> = {},
): BlasProbe {
  const set = new Set(files);
  return {
    platform,
    arch,
    env,
    exists: (f) => set.has(f),
    pkgConfig: (args) => (pc === null ? null : (pc[args.join(' ')] ?? null)),
  };
}

function found(probe: BlasProbe): BlasFound {
  const r = findBlas(probe);
  assert.ok(r.ok, `expected a hit, got: ${r.ok ? '' : r.why}`);
  return r;
}

const debianX64 = [
  '/etc/debian_version',
  '/usr/include/x86_64-linux-gnu/openblas-pthread/cblas.h',
  '/usr/include/x86_64-linux-gnu/openblas-pthread/openblas_config.h',
  '/usr/include/lapacke.h',
  '/usr/lib/x86_64-linux-gnu/libopenblas.so',
  '/usr/lib/x86_64-linux-gnu/liblapacke.so',
];

test('findBlas, linux-x64 without pkg-config: Debian multiarch headers, system libraries (no -L, no rpath)', () => {
  const r = found(machine('linux', 'x64', debianX64));
  assert.equal(r.source, 'the known directories');
  assert.deepEqual(r.includeDirs, ['/usr/include/x86_64-linux-gnu/openblas-pthread']);
  assert.deepEqual(r.libraryDirs, []);
  assert.deepEqual(r.libraries, ['-lopenblas', '-llapacke']);
  assert.deepEqual(r.rpath, []);
  assert.match(r.summary, /known directories.*\/usr\/lib\/x86_64-linux-gnu/);
});

test('findBlas, linux-arm64: the aarch64 multiarch directories, never the x86_64 ones', () => {
  const arm = debianX64.map((f) => f.replaceAll('x86_64-linux-gnu', 'aarch64-linux-gnu'));
  const r = found(machine('linux', 'arm64', arm));
  assert.deepEqual(r.includeDirs, ['/usr/include/aarch64-linux-gnu/openblas-pthread']);
  assert.deepEqual(r.libraries, ['-lopenblas', '-llapacke']);
  // The x86_64 layout on an arm64 machine is not a hit.
  const wrong = findBlas(machine('linux', 'arm64', debianX64));
  assert.equal(wrong.ok, false);
});

test('findBlas, Fedora/RHEL: /usr/include/openblas and /usr/lib64; LAPACKE bundled when there is no liblapacke', () => {
  const fedora = [
    '/etc/fedora-release',
    '/usr/include/openblas/cblas.h',
    '/usr/include/openblas/openblas_config.h',
    '/usr/include/openblas/lapacke.h',
    '/usr/lib64/libopenblas.so',
  ];
  const r = found(machine('linux', 'x64', fedora));
  assert.deepEqual(r.includeDirs, ['/usr/include/openblas']);
  assert.deepEqual(r.libraries, ['-lopenblas']);
  assert.match(r.summary, /bundled in libopenblas/);
  const withLapacke = found(machine('linux', 'x64', [...fedora, '/usr/lib64/liblapacke.so']));
  assert.deepEqual(withLapacke.libraries, ['-lopenblas', '-llapacke']);
});

test('findBlas, darwin-arm64: the Homebrew keg under /opt/homebrew, with -L and an rpath', () => {
  const keg = '/opt/homebrew/opt/openblas';
  const files = ['include/cblas.h', 'include/openblas_config.h', 'include/lapacke.h', 'lib/libopenblas.dylib'].map(
    (f) => `${keg}/${f}`,
  );
  const r = found(machine('darwin', 'arm64', files));
  assert.deepEqual(r.includeDirs, [`${keg}/include`]);
  assert.deepEqual(r.libraryDirs, [`${keg}/lib`]);
  assert.deepEqual(r.rpath, [`${keg}/lib`]);
  assert.deepEqual(r.libraries, ['-lopenblas']);
  // A Linux .so in the keg is not a macOS library.
  assert.equal(
    findBlas(
      machine(
        'darwin',
        'arm64',
        files.map((f) => f.replace('.dylib', '.so')),
      ),
    ).ok,
    false,
  );
  // On an Intel Mac, /usr/local comes first.
  const intel = files.map((f) => f.replace('/opt/homebrew', '/usr/local'));
  assert.deepEqual(found(machine('darwin', 'x64', [...intel, ...files])).includeDirs, [
    '/usr/local/opt/openblas/include',
  ]);
});

test('findBlas: a pkg-config hit wins over the directories, and its flags are split into gyp lists', () => {
  const pc = {
    '--list-all': 'openblas   openblas - OpenBLAS\nlapacke    LAPACKE - C interface\n',
    '--cflags --libs openblas lapacke': '-I/opt/ob/include/ -DOB_X -L/opt/ob/lib/ -lopenblas -llapacke -pthread',
  };
  const ob = ['/opt/ob/include/cblas.h', '/opt/ob/include/openblas_config.h'];
  const r = found(machine('linux', 'x64', [...debianX64, ...ob], pc));
  assert.equal(r.source, 'pkg-config');
  assert.deepEqual(r.modules, ['openblas', 'lapacke']);
  assert.deepEqual(r.includeDirs, ['/opt/ob/include']);
  assert.deepEqual(r.cflags, ['-DOB_X']);
  assert.deepEqual(r.libraryDirs, ['/opt/ob/lib']);
  assert.deepEqual(r.rpath, ['/opt/ob/lib']); // outside /usr and /lib: found at run time through the rpath
  assert.deepEqual(r.libraries, ['-lopenblas', '-llapacke', '-pthread']);
  assert.match(r.summary, /pkg-config \(openblas lapacke\)/);
});

test("findBlas: Debian's openblas-flavoured blas/lapack modules give the directories, libopenblas is linked", () => {
  const list = (impl: string) => ({
    '--list-all': `blas  ${impl}-blas - BLAS\nlapack  ${impl}-lapack - LAPACK\nlapacke  LAPACKE - C\n`,
    '--cflags --libs blas lapack lapacke':
      '-I/usr/include/x86_64-linux-gnu -L/usr/lib/x86_64-linux-gnu/openblas-pthread -lblas -llapack -llapacke',
  });
  const files = [
    '/usr/include/x86_64-linux-gnu/cblas.h',
    '/usr/include/x86_64-linux-gnu/openblas_config.h',
    '/usr/include/lapacke.h',
  ];
  const lib = '/usr/lib/x86_64-linux-gnu/openblas-pthread/libopenblas.so';
  const r = found(machine('linux', 'x64', [...files, lib], list('openblas')));
  assert.deepEqual(r.modules, ['blas', 'lapack', 'lapacke']);
  // OpenBLAS's libblas has no openblas_set_num_threads: libopenblas replaces -lblas -llapack.
  assert.deepEqual(r.libraries, ['-lopenblas', '-llapacke']);
  assert.deepEqual(r.libraryDirs, ['/usr/lib/x86_64-linux-gnu/openblas-pthread']);
  assert.deepEqual(r.includeDirs, []); // a system directory: not passed
  assert.equal(findBlas(machine('linux', 'x64', files, list('openblas'))).ok, false); // no libopenblas anywhere
  // A reference BLAS's modules are not used: the directory search finds libopenblas instead.
  assert.equal(found(machine('linux', 'x64', [...files, lib], list('netlib'))).source, 'the known directories');
});

test('findBlas: pkg-config modules whose headers are missing fall through to the directories', () => {
  const pc = {
    '--list-all': 'openblas openblas\nlapacke LAPACKE\n',
    '--cflags --libs openblas lapacke': '-I/gone -lopenblas -llapacke',
  };
  const r = found(machine('linux', 'x64', debianX64, pc));
  assert.equal(r.source, 'the known directories');
});

test('findBlas: nothing found says why and how (per distribution); opt-outs and Windows are refused', () => {
  const none = findBlas(machine('linux', 'x64', ['/etc/debian_version']));
  assert.equal(none.ok, false);
  if (!none.ok) {
    assert.match(none.why, /pkg-config not available.*cblas\.h/);
    assert.match(none.how, /apt-get install libopenblas-dev liblapacke-dev.*npm run build:native/);
  }
  const fedora = findBlas(machine('linux', 'x64', ['/etc/redhat-release'], { '--list-all': '' }));
  assert.ok(
    !fedora.ok && /pkg-config has no openblas/.test(fedora.why) && /dnf install openblas-devel/.test(fedora.how),
  );
  const mac = findBlas(machine('darwin', 'arm64', []));
  assert.ok(!mac.ok && /brew install openblas/.test(mac.how));
  const skipped = findBlas(machine('linux', 'x64', debianX64, null, { MCOMPLETE_BUILD_NATIVE: '0' }));
  assert.ok(!skipped.ok && skipped.why === 'MCOMPLETE_BUILD_NATIVE=0');
  assert.equal(findBlas(machine('win32', 'x64', debianX64)).ok, false);
});

test('findBlas: MCOMPLETE_OPENBLAS_DIR is used alone (a wrong prefix is reported, not searched around)', () => {
  const files = ['include/cblas.h', 'include/openblas_config.h', 'include/lapacke.h', 'lib/libopenblas.so'].map(
    (f) => `/opt/ob/${f}`,
  );
  const r = found(machine('linux', 'x64', [...files, ...debianX64], null, { MCOMPLETE_OPENBLAS_DIR: '/opt/ob' }));
  assert.deepEqual(r.includeDirs, ['/opt/ob/include']);
  assert.deepEqual(r.rpath, ['/opt/ob/lib']);
  const wrong = findBlas(machine('linux', 'x64', debianX64, null, { MCOMPLETE_OPENBLAS_DIR: '/nowhere' }));
  assert.ok(!wrong.ok && /MCOMPLETE_OPENBLAS_DIR=\/nowhere/.test(wrong.why));
});

test('findBlas with a root: the known directories are looked up under it', () => {
  const r = found({
    ...machine(
      'linux',
      'x64',
      debianX64.map((f) => `/sys-root${f}`),
    ),
    root: '/sys-root',
  });
  assert.deepEqual(r.includeDirs, ['/sys-root/usr/include/x86_64-linux-gnu/openblas-pthread']);
  assert.deepEqual(r.libraryDirs, []);
});

test('binding.gyp keeps -ffp-contract=off for Linux (cflags) and macOS (xcode_settings)', () => {
  const text = readFileSync(path.join(root, 'native/binding.gyp'), 'utf8').replace(/^\s*#.*$/gm, '');
  const target = JSON.parse(text).targets[0];
  assert.ok(target.cflags.includes('-ffp-contract=off'));
  assert.ok(target.xcode_settings.OTHER_CFLAGS.includes('-ffp-contract=off'));
});

test('nativeSvdError: one distinct message per failure, naming the illegal argument and INFO', () => {
  const msgs = [1, 2, 3, 4, 5].map((code) => nativeSvdError(code, code === 3 ? -5 : 2).message);
  assert.equal(new Set(msgs).size, msgs.length);
  assert.ok(nativeSvdError(1, null) instanceof RangeError && /NaN/.test(msgs[0]));
  assert.ok(nativeSvdError(2, null) instanceof RangeError && /infinite/.test(msgs[1]));
  assert.match(msgs[2], /dgesdd says argument 5 \(LDA\) had an illegal value \(INFO = -5\)/);
  assert.match(nativeSvdError(3, -12).message, /argument 12 \(LWORK\)/);
  assert.match(msgs[3], /did not converge.*DBDSDC.*INFO = 2/);
  assert.match(msgs[4], /could not allocate/);
  // An addon built before it reported INFO still gets the right kind of message.
  assert.match(nativeSvdError(3, null).message, /an argument had an illegal value/);
  assert.doesNotMatch(nativeSvdError(4, null).message, /INFO/);
  assert.match(nativeSvdError(9, null).message, /unknown status 9/);
});

/** The raw addon, for the argument checks the TypeScript wrapper would never let through. */
interface RawAddon {
  gemm(...args: unknown[]): void;
  svdCreate(m: number, n: number): object;
  threads(n: number): number;
}

test('native gemm: a dimension above INT_MAX is a RangeError naming gemm and it, checked first', { skip }, () => {
  const addon = createRequire(import.meta.url)(nativeAddonPath()) as RawAddon;
  const one = () => new Float64Array(1);
  const big = 2 ** 31;
  const call = (m: number, n: number, k: number, lda: number, ldb: number, ldc: number) =>
    addon.gemm(false, false, m, n, k, 1, one(), lda, one(), ldb, 0, one(), ldc);
  assert.throws(
    () => call(big, 1, 1, 1, 1, 1),
    (e: Error) => e instanceof RangeError && /gemm: m = 2147483648 .*32-bit/.test(e.message),
  );
  assert.throws(() => call(1, big, 1, 1, big, big), /gemm: n = 2147483648/);
  assert.throws(() => call(1, 1, big, big, 1, 1), /gemm: k = 2147483648/);
  assert.throws(() => call(1, 1, 1, big, 1, 1), /gemm: lda = 2147483648/);
  assert.throws(() => call(1, 1, 1, 1, 1, 2 ** 40), /gemm: ldc = 1099511627776/);
  // INT_MAX itself fits: the buffers are then too short, which is the other error.
  assert.throws(() => call(big - 1, 1, 1, 1, 1, 1), /gemm: bad shape or buffer length/);
  // Through the backend: a matrix whose shape claims 2^31 rows reaches the same check.
  const lying: Matrix = { rows: big, cols: 1, data: one() };
  const b = loaded.backend!;
  const out: Matrix = { rows: big, cols: 1, data: one() };
  assert.throws(() => b.gemm(lying, { rows: 1, cols: 1, data: one() }, { out }), /gemm: m = 2147483648/);
  const ok = b.gemm({ rows: 1, cols: 1, data: Float64Array.of(3) }, { rows: 1, cols: 1, data: Float64Array.of(4) });
  assert.equal(ok.data[0], 12);
});

test(
  'native svdCreate: dimensions and dgesdd workspace fit a 32-bit LAPACK int, checked before allocating',
  { skip },
  () => {
    const addon = createRequire(import.meta.url)(nativeAddonPath()) as RawAddon;
    assert.throws(
      () => addon.svdCreate(2 ** 31, 1),
      (e: Error) => e instanceof RangeError && /svdCreate: m = 2147483648/.test(e.message),
    );
    assert.throws(() => addon.svdCreate(1, 2 ** 32), /svdCreate: n = 4294967296/);
    // 30000×30000 needs 4·30000² + 7·30000 ≈ 3.6e9 > INT_MAX doubles of work: refused without allocating 7 GB.
    const workspace = /svdCreate: a 30000×30000 SVD needs a dgesdd workspace of 3600210000 doubles/;
    assert.throws(() => addon.svdCreate(30000, 30000), workspace);
    assert.throws(() => addon.svdCreate(0, 3), /shape must be positive/);
    assert.throws(() => addon.threads(2 ** 31), /threads: n = 2147483648/);
    // The backend asks the addon before it allocates U and V (2^31 rows would be 16 GB).
    assert.throws(() => loaded.backend!.createSvdWorkspace(2 ** 31, 1), /svdCreate: m = 2147483648/);
    const ws = loaded.backend!.createSvdWorkspace(3, 2);
    const A: Matrix = zeros(3, 2);
    A.data.set([3, 0, 0, 4, 0, 0]);
    const { s } = loaded.backend!.svdInto(A, ws);
    assert.ok(Math.abs(s[0] - 4) < 1e-12 && Math.abs(s[1] - 3) < 1e-12, `s = ${Array.from(s)}`);
  },
);

// The environments npm 11 gives an install script, as logged by a package whose script printed them: a project
// installing it (`npm install pkg` there, cwd in its node_modules), `npm install -g`, `npx`, `npm rebuild pkg`, and
// the package's own `npm ci`.
test('installWants: the addon is built for the command line (repository, -g, npx, rebuild), not for a library', () => {
  const app = '/home/u/app/node_modules/mcomplete';
  const install = { npm_lifecycle_event: 'install', npm_command: 'install' };
  const library = installWants({ env: install, packageRoot: app });
  assert.ok(!library.build && /installed as a library/.test(library.why) && /npm rebuild mcomplete/.test(library.how));
  assert.equal(installWants({ env: { ...install, npm_command: 'ci' }, packageRoot: app }).build, false);
  assert.equal(installWants({ env: { ...install, MCOMPLETE_BUILD_NATIVE: '1' }, packageRoot: app }).build, true);
  const asCli: [string, Record<string, string>, string][] = [
    ['the repository', { ...install, npm_command: 'ci' }, '/home/u/mcomplete'],
    ['npm install -g', { ...install, npm_config_global: 'true' }, '/usr/lib/node_modules/mcomplete'],
    ['npx', { ...install, npm_command: 'exec' }, '/root/.npm/_npx/5e9dd49a8e5ecab2/node_modules/mcomplete'],
    ['npm rebuild', { ...install, npm_command: 'rebuild' }, app],
    ['npm run build:native', { npm_lifecycle_event: 'build:native', npm_command: 'run' }, app],
    ['node native/build.mjs', {}, app],
  ];
  for (const [what, env, packageRoot] of asCli) assert.equal(installWants({ env, packageRoot }).build, true, what);
  assert.equal(installWants({ env: install, packageRoot: 'C:\\app\\node_modules\\mcomplete' }).build, false);
});
