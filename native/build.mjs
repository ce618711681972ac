// Builds the optional native backend (native/build/Release/mcomplete_native.node) with node-gyp, over the system
// OpenBLAS and LAPACKE. Run by `npm install` / `npm ci` (the root package's install script) and `npm run
// build:native`. It never fails: when the libraries, the Node headers or a compiler are missing, or compilation
// fails, it prints one line saying the fast path is off and how to get it, and exits 0 (the pure-TypeScript backend
// then does everything). Set MCOMPLETE_BUILD_NATIVE=0 to skip it.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const HOW = 'install the system libraries (Debian/Ubuntu: apt-get install libopenblas-dev liblapacke-dev) and run `npm run build:native`';

function off(why) {
  console.log(`mcomplete: native fast path off (${why}); pure-TypeScript backend in use. To get it: ${HOW}.`);
  process.exit(0);
}

if (process.env.MCOMPLETE_BUILD_NATIVE === '0') off('MCOMPLETE_BUILD_NATIVE=0');
if (process.platform === 'win32') off('not supported on Windows yet');

const includeDirs = ['/usr/include', '/usr/local/include', '/usr/include/openblas', '/usr/include/x86_64-linux-gnu',
  '/usr/include/aarch64-linux-gnu'];
const has = (file) => includeDirs.some((d) => existsSync(path.join(d, file)));
if (!has('cblas.h')) off('cblas.h not found');
if (!has('lapacke.h')) off('lapacke.h not found');
const libDirs = ['/usr/lib', '/usr/local/lib', '/usr/lib64', '/usr/lib/x86_64-linux-gnu', '/usr/lib/aarch64-linux-gnu'];
const hasLib = (stem) => libDirs.some((d) => existsSync(d) && readdirSync(d).some((f) => f.startsWith(`${stem}.so`) || f === `${stem}.dylib`));
if (!hasLib('libopenblas')) off('libopenblas not found');
if (!hasLib('liblapacke')) off('liblapacke not found');

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
if (!gyp) off('node-gyp not found');

const args = [gyp, 'rebuild', '--loglevel=error'];
if (localHeaders) args.push(`--nodedir=${nodeDir}`);
const r = spawnSync(process.execPath, args, { cwd: here, encoding: 'utf8' });
if (r.status !== 0) {
  const detail = `${r.stdout ?? ''}${r.stderr ?? ''}`.trim().split('\n').filter((l) => /error/i.test(l))[0] ?? '';
  off(`compilation failed${detail ? `: ${detail.slice(0, 160)}` : ''}`);
}
console.log('mcomplete: native fast path built (OpenBLAS + LAPACKE): native/build/Release/mcomplete_native.node');
