// Builds the optional native backend (native/build/Release/mcomplete_native.node) with node-gyp, over the system
// OpenBLAS and LAPACKE that native/find-blas.mjs finds (pkg-config first, then the known directories). Run by
// `npm install` / `npm ci` (the root package's install script) and `npm run build:native`. It never fails: it prints
// one line, saying which libraries it built against and where it found them, or why the fast path is off and how to
// get it, and exits 0 (the pure-TypeScript backend then does everything). A fresh addon must pass a smoke test (load,
// one gemm, one SVD, in a child process) or it is removed, so a library missing a symbol never reaches the loader.
//
// It builds for the command line's users (this repository, a global install, npx, `npm rebuild mcomplete`), not when
// a project installs mcomplete as a library (installWants in native/find-blas.mjs).
// Environment: MCOMPLETE_BUILD_NATIVE=0 skips the build, =1 builds it in a library install too;
// MCOMPLETE_OPENBLAS_DIR=/prefix uses that prefix's include/ and lib/. Arguments: --dry-run prints the line without
// compiling; --verbose shows node-gyp's output; --root=DIR looks for everything (pkg-config included) under DIR as if
// it were / (what a machine without the libraries gets).
import { spawnSync } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const dryRun = args.includes('--dry-run');
const verbose = args.includes('--verbose');
const root = path.resolve(args.find((a) => a.startsWith('--root='))?.slice('--root='.length) || '/');
const rooted = root !== path.parse(root).root;

function off(why, how) {
  console.log(`mcomplete: native fast path off (${why}); pure-TypeScript backend in use. To get it: ${how}.`);
  process.exit(0);
}
// Whatever goes wrong, the install goes on: an unexpected error is one more reason the fast path is off.
process.on('uncaughtException', (err) => {
  const first = String(err?.message ?? err).split('\n')[0];
  off(`unexpected error: ${first}`, 'run `npm run build:native -- --verbose` and report the error');
});

/** pkg-config's stdout for these arguments, or null when it fails or is not installed. */
function pkgConfig(pcArgs) {
  const env = { ...process.env };
  if (rooted) {
    env.PKG_CONFIG_SYSROOT_DIR = root;
    const dirs = [
      'usr/lib',
      'usr/lib64',
      'usr/share',
      'usr/local/lib',
      'usr/lib/x86_64-linux-gnu',
      'usr/lib/aarch64-linux-gnu',
    ];
    env.PKG_CONFIG_LIBDIR = dirs.map((d) => path.join(root, d, 'pkgconfig')).join(path.delimiter);
    delete env.PKG_CONFIG_PATH;
  }
  try {
    const r = spawnSync('pkg-config', pcArgs, { encoding: 'utf8', env, timeout: 10_000 });
    return r.status === 0 ? r.stdout.trim() : null;
  } catch {
    return null;
  }
}

let findBlas, installWants;
try {
  ({ findBlas, installWants } = await import('./find-blas.mjs'));
} catch (err) {
  off(`native/find-blas.mjs did not load: ${String(err?.message ?? err).split('\n')[0]}`, 'reinstall the package');
}
const wanted = installWants({ env: process.env, packageRoot: path.dirname(here) });
if (!wanted.build) off(wanted.why, wanted.how);
const found = findBlas({
  platform: process.platform,
  arch: process.arch,
  env: process.env,
  exists: existsSync,
  pkgConfig,
  root: rooted ? root : '',
});
if (!found.ok) off(found.why, found.how);
const HOW_BUILD = "run `npm run build:native -- --verbose` for node-gyp's full output";

// Node's headers: those next to this node binary (no download), else node-gyp's cache.
const nodeDir = path.resolve(path.dirname(process.execPath), '..');
const localHeaders = existsSync(path.join(nodeDir, 'include', 'node', 'node_api.h'));

// node-gyp: the copy npm points at, else the one bundled with npm, else a local one.
function findNodeGyp() {
  const candidates = [process.env.npm_config_node_gyp];
  const npmCli = process.env.npm_execpath;
  if (npmCli) candidates.push(path.join(path.dirname(npmCli), '..', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'));
  candidates.push(path.join(nodeDir, 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'));
  try {
    candidates.push(createRequire(import.meta.url).resolve('node-gyp/bin/node-gyp.js'));
  } catch {
    // not installed locally
  }
  return candidates.find((c) => c && existsSync(c));
}
const gyp = findNodeGyp();
if (!gyp) {
  off(
    `node-gyp not found; found ${found.summary}`,
    'use npm (it bundles node-gyp) or install node-gyp, then run `npm run build:native`',
  );
}

/** A word list as one gyp variable: gyp splits it the way sh would, so quote what sh would split or expand. */
const gypWords = (ws) => ws.map((w) => (/^[\w@%+=:,./-]+$/.test(w) ? w : `'${w.replace(/'/g, `'\\''`)}'`)).join(' ');
// -z now: every symbol is bound when the addon loads, so a library without LAPACKE fails the load (and the smoke
// test below), not a later call.
const ldflags = [...found.rpath.map((d) => `-Wl,-rpath,${d}`), ...(process.platform === 'linux' ? ['-Wl,-z,now'] : [])];
const vars = {
  mcomplete_include_dirs: found.includeDirs,
  mcomplete_cflags: found.cflags,
  mcomplete_library_dirs: found.libraryDirs,
  mcomplete_libraries: found.libraries,
  mcomplete_ldflags: ldflags,
};
// Only non-empty values (binding.gyp's defaults are empty, apart from the libraries).
const gypArgs = Object.entries(vars)
  .filter(([, ws]) => ws.length > 0)
  .map(([name, ws]) => `--${name}=${gypWords(ws)}`);

if (dryRun) {
  console.log(
    `mcomplete: native fast path would build against ${found.summary} (dry run; node-gyp ${gypArgs.join(' ')})`,
  );
  process.exit(0);
}

const cmd = [gyp, 'rebuild', `--loglevel=${verbose ? 'info' : 'error'}`, ...gypArgs];
if (localHeaders) cmd.push(`--nodedir=${nodeDir}`);
const r = spawnSync(process.execPath, cmd, { cwd: here, encoding: 'utf8', stdio: verbose ? 'inherit' : 'pipe' });
if (r.status !== 0) {
  const detail =
    `${r.stdout ?? ''}${r.stderr ?? ''}`
      .trim()
      .split('\n')
      .filter((l) => /error/i.test(l))[0] ?? '';
  off(`compilation against ${found.summary} failed${detail ? `: ${detail.trim().slice(0, 160)}` : ''}`, HOW_BUILD);
}
// Smoke test in a child process (a missing symbol can abort it): load the addon, one gemm, one SVD.
const addon = path.join(here, 'build', 'Release', 'mcomplete_native.node');
const smoke = `const a = require(${JSON.stringify(addon)}); a.threads(1);
const C = new Float64Array(1); a.gemm(false, false, 1, 1, 1, 1, Float64Array.of(2), 1, Float64Array.of(3), 1, 0, C, 1);
const s = new Float64Array(2);
const code = a.svd(a.svdCreate(2, 2), Float64Array.of(3, 0, 0, 4), new Float64Array(4), s, new Float64Array(4));
if (C[0] !== 6 || code !== 0 || Math.abs(s[0] - 4) > 1e-12) throw new Error('wrong results: ' + C[0] + ', ' + code + ', ' + s);`;
const check = spawnSync(process.execPath, ['-e', smoke], { encoding: 'utf8', timeout: 60_000 });
if (check.status !== 0) {
  rmSync(addon, { force: true });
  const detail =
    `${check.stderr ?? ''}`.split('\n').find((l) => /error|symbol|wrong/i.test(l)) ?? `exit ${check.status}`;
  const how = found.libraries.includes('-llapacke')
    ? HOW_BUILD
    : 'install LAPACKE (liblapacke-dev, lapack-devel or brew install lapack), which this libopenblas lacks, then run ' +
      '`npm run build:native`';
  off(
    `built against ${found.summary}, but the addon failed its smoke test and was removed: ${detail.trim().slice(0, 160)}`,
    how,
  );
}
console.log(`mcomplete: native fast path built against ${found.summary}: native/build/Release/mcomplete_native.node`);
