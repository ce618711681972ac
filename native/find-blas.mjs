// Where OpenBLAS and LAPACKE are on this machine, as compiler and linker flags for binding.gyp. A pure function of
// the platform, the architecture, the environment and two probes (does a file exist; what does pkg-config print),
// so a test can check what it picks on machines it does not run on. native/build.mjs gives it the real probes.
//
// Order: MCOMPLETE_OPENBLAS_DIR (a prefix with include/ and lib/) when set; then pkg-config (openblas + lapacke,
// Debian's openblas-flavoured blas/lapack modules for their directories, or openblas alone when it bundles LAPACKE);
// then the directories distributions and Homebrew install into (Debian/Ubuntu multiarch for x86_64 and arm64,
// Fedora/RHEL, Arch, Homebrew on Apple silicon and Intel, /opt/OpenBLAS from a source build).
import path from 'node:path';

/** Debian multiarch triplets of Node's architectures. */
const TRIPLETS = {
  x64: 'x86_64-linux-gnu',
  arm64: 'aarch64-linux-gnu',
  ppc64: 'powerpc64le-linux-gnu',
  s390x: 's390x-linux-gnu',
  riscv64: 'riscv64-linux-gnu',
};

/** Directories the compiler and linker search anyway: never passed as -I/-L. */
function systemDirs(triplet) {
  const inc = ['/usr/include', '/usr/local/include'];
  const lib = ['/usr/lib', '/usr/lib64', '/lib', '/lib64', '/usr/local/lib'];
  if (triplet) {
    inc.push(`/usr/include/${triplet}`);
    lib.push(`/usr/lib/${triplet}`, `/lib/${triplet}`);
  }
  return { inc, lib };
}

/** The known header and library directories for a platform and architecture, most specific first. */
export function knownDirs(platform, arch) {
  if (platform === 'darwin') {
    // Homebrew's openblas is keg-only (not linked into the prefix); its lapack keg has liblapacke.
    const prefixes = arch === 'arm64' ? ['/opt/homebrew', '/usr/local'] : ['/usr/local', '/opt/homebrew'];
    const kegs = prefixes.flatMap((p) => [`${p}/opt/openblas`, `${p}/opt/lapack`]);
    return {
      include: [...kegs.map((k) => `${k}/include`), ...prefixes.map((p) => `${p}/include`)],
      lib: [...kegs.map((k) => `${k}/lib`), ...prefixes.map((p) => `${p}/lib`)],
    };
  }
  const t = TRIPLETS[arch];
  const flavours = ['openblas-pthread', 'openblas-openmp', 'openblas-serial'];
  return {
    include: [
      ...(t ? flavours.map((f) => `/usr/include/${t}/${f}`) : []),
      ...(t ? [`/usr/include/${t}`] : []),
      '/usr/include/openblas', // Fedora/RHEL openblas-devel
      '/usr/include/lapacke', // Fedora/RHEL lapack-devel
      '/usr/include',
      '/usr/local/include',
      '/opt/OpenBLAS/include', // `make install` of OpenBLAS from source
    ],
    lib: [
      ...(t ? [`/usr/lib/${t}`, ...flavours.map((f) => `/usr/lib/${t}/${f}`)] : []),
      '/usr/lib64', // Fedora/RHEL
      '/usr/lib',
      '/usr/local/lib',
      '/usr/local/lib64',
      '/opt/OpenBLAS/lib',
    ],
  };
}

/** The shell-style words of a pkg-config output line (backslash escapes a space, as pkg-config writes them). */
function words(line) {
  return (line.match(/(?:\\.|[^\s\\])+/g) ?? []).map((w) => w.replace(/\\(.)/g, '$1'));
}

/** A directory without its trailing slash (pkg-config's output often has one). */
function clean(dir) {
  return path.normalize(dir).replace(/(.)\/+$/, '$1');
}

/** What a user runs to get the libraries on this kind of machine. */
function howTo(platform, exists) {
  const then = 'then run `npm run build:native`';
  if (platform === 'darwin') return `brew install openblas lapack, ${then}`;
  if (exists('/etc/debian_version')) return `sudo apt-get install libopenblas-dev liblapacke-dev, ${then}`;
  if (exists('/etc/fedora-release') || exists('/etc/redhat-release')) {
    return `sudo dnf install openblas-devel lapack-devel, ${then}`;
  }
  return (
    'install OpenBLAS and LAPACKE with their headers (Debian/Ubuntu: apt-get install libopenblas-dev liblapacke-dev; ' +
    'Fedora/RHEL: dnf install openblas-devel lapack-devel; macOS: brew install openblas lapack) or set ' +
    `MCOMPLETE_OPENBLAS_DIR to their prefix, ${then}`
  );
}

/** The first directory of `dirs` holding every one of `files`, or null. */
function dirWith(dirs, files, exists) {
  return dirs.find((d) => files.every((f) => exists(path.join(d, f)))) ?? null;
}

/** The first directory of `dirs` with a linkable lib<stem> (shared or static), or null. */
function libDirWith(dirs, stem, platform, exists) {
  const names = platform === 'darwin' ? [`lib${stem}.dylib`, `lib${stem}.a`] : [`lib${stem}.so`, `lib${stem}.a`];
  return dirs.find((d) => names.some((n) => exists(path.join(d, n)))) ?? null;
}

/**
 * The flags for OpenBLAS + LAPACKE, or why they were not found and how to get them.
 *
 * probe: { platform, arch, env, exists(file) → boolean, pkgConfig(args) → stdout or null (missing tool, unknown
 * module), root? (a directory the known directories are looked up under, for checking the search without the
 * machine) }.
 * Returns { ok: true, source, modules?, includeDirs, libraryDirs, libraries, cflags, rpath, summary } or
 * { ok: false, why, how }. `summary` and `why` are short phrases for build.mjs's one line.
 */
export function findBlas({ platform, arch, env = {}, exists, pkgConfig, root = '' }) {
  const under = (d) => (root ? path.join(root, d) : d);
  const how = howTo(platform, (f) => exists(under(f)));
  if (env.MCOMPLETE_BUILD_NATIVE === '0') {
    const unset = 'unset MCOMPLETE_BUILD_NATIVE and run `npm run build:native`';
    return { ok: false, why: 'MCOMPLETE_BUILD_NATIVE=0', how: unset };
  }
  if (platform === 'win32') return { ok: false, why: 'not supported on Windows yet', how: 'use WSL' };
  const triplet = platform === 'linux' ? TRIPLETS[arch] : undefined;
  const sys = platform === 'darwin' ? { inc: ['/usr/include'], lib: ['/usr/lib'] } : systemDirs(triplet);
  const isSystem = (d, list) => list.map(under).includes(d);
  // Libraries outside the distribution's tree (/usr, /lib) are found at run time through an rpath.
  const needsRpath = (d) => !/^\/(usr|lib)(\/|$)/.test(root && d.startsWith(root) ? d.slice(root.length) : d);
  const OPENBLAS_CBLAS = ['cblas.h', 'openblas_config.h']; // OpenBLAS's cblas.h (blasint, openblas_set_num_threads)

  /** Flags from directories: headers and libraries must all be found, LAPACKE either separate or in libopenblas. */
  const fromDirs = (incDirs, libDirs, source) => {
    const cblasDir = dirWith(incDirs, OPENBLAS_CBLAS, exists);
    if (!cblasDir) return { ok: false, why: `OpenBLAS's cblas.h and openblas_config.h not found (${source})` };
    const lapackeDir = dirWith([cblasDir, ...incDirs], ['lapacke.h'], exists);
    if (!lapackeDir) return { ok: false, why: `lapacke.h not found (${source})` };
    const openblasLib = libDirWith(libDirs, 'openblas', platform, exists);
    if (!openblasLib) return { ok: false, why: `libopenblas not found (${source})` };
    const lapackeLib = libDirWith(libDirs, 'lapacke', platform, exists);
    const includeDirs = [...new Set([cblasDir, lapackeDir])].filter((d) => !isSystem(d, sys.inc));
    const libraryDirs = [...new Set([openblasLib, lapackeLib].filter(Boolean))].filter((d) => !isSystem(d, sys.lib));
    const libraries = lapackeLib ? ['-lopenblas', '-llapacke'] : ['-lopenblas'];
    const headers = [...new Set([cblasDir, lapackeDir])].join(', ');
    const libs = [...new Set([openblasLib, lapackeLib].filter(Boolean))].join(', ');
    return {
      ok: true,
      source,
      includeDirs,
      libraryDirs,
      libraries,
      cflags: [],
      rpath: libraryDirs.filter(needsRpath),
      summary:
        `OpenBLAS + LAPACKE${lapackeLib ? '' : ' (bundled in libopenblas)'} (${libraries.join(' ')}) from ${source} ` +
        `(headers in ${headers}; libraries in ${libs})`,
    };
  };

  const custom = env.MCOMPLETE_OPENBLAS_DIR;
  if (custom) {
    const inc = [path.join(custom, 'include'), path.join(custom, 'include', 'openblas')];
    const lib = [path.join(custom, 'lib'), path.join(custom, 'lib64')];
    const found = fromDirs(inc, lib, `MCOMPLETE_OPENBLAS_DIR=${custom}`);
    if (found.ok) return found;
    return { ...found, how: 'point MCOMPLETE_OPENBLAS_DIR at the prefix holding include/ and lib/, or unset it' };
  }

  // pkg-config: the first module set that is installed and whose headers are really there.
  const listing = pkgConfig(['--list-all']);
  const modules = new Map(
    (listing ?? '')
      .split('\n')
      .map((l) => l.trim())
      .filter(Boolean)
      .map((l) => [l.split(/\s+/)[0], l.toLowerCase()]),
  );
  const isOpenblas = (m) => modules.has(m) && modules.get(m).includes('openblas');
  const sets = [
    ['openblas', 'lapacke'],
    ['blas-openblas', 'lapack-openblas', 'lapacke'],
    ...(isOpenblas('blas') && isOpenblas('lapack') ? [['blas', 'lapack', 'lapacke']] : []),
    ['openblas'], // LAPACKE bundled in libopenblas (Homebrew, Fedora, source builds)
  ];
  for (const set of sets) {
    if (!set.every((m) => modules.has(m))) continue;
    const out = pkgConfig(['--cflags', '--libs', ...set]);
    if (out === null) continue;
    const includeDirs = [];
    const libraryDirs = [];
    const libraries = [];
    const cflags = [];
    for (const w of words(out)) {
      if (w.startsWith('-I')) includeDirs.push(clean(w.slice(2)));
      else if (w.startsWith('-L')) libraryDirs.push(clean(w.slice(2)));
      else if (w.startsWith('-l') || w.startsWith('-Wl,') || w === '-pthread') libraries.push(w);
      else cflags.push(w);
    }
    const searched = [...includeDirs, ...sys.inc.map(under)];
    const cblasDir = dirWith(searched, OPENBLAS_CBLAS, exists);
    if (!cblasDir || !dirWith(searched, ['lapacke.h'], exists)) continue;
    if (!set.includes('openblas')) {
      // Debian's libblas/liblapack from OpenBLAS lack openblas_set_num_threads: link libopenblas itself (which has
      // BLAS and LAPACK too) from the same directories, as the openblas module would.
      if (!libDirWith([...libraryDirs, ...sys.lib.map(under)], 'openblas', platform, exists)) continue;
      const generic = new Set(['-lblas', '-llapack', '-lblas-openblas', '-llapack-openblas']);
      libraries.splice(0, libraries.length, '-lopenblas', ...libraries.filter((l) => !generic.has(l)));
    }
    const inc = [...new Set(includeDirs)].filter((d) => !isSystem(d, sys.inc));
    const libs = [...new Set(libraryDirs)];
    return {
      ok: true,
      source: 'pkg-config',
      modules: set,
      includeDirs: inc,
      libraryDirs: libs,
      libraries,
      cflags,
      rpath: libs.filter(needsRpath),
      summary:
        `OpenBLAS + LAPACKE${set.includes('lapacke') ? '' : ' (bundled in libopenblas)'} (${libraries.join(' ')}) ` +
        `from pkg-config (${set.join(' ')})`,
    };
  }

  const dirs = knownDirs(platform, arch);
  const where = root ? `the known directories under ${root}` : 'the known directories';
  const found = fromDirs(dirs.include.map(under), dirs.lib.map(under), where);
  if (found.ok) return found;
  const pc = listing === null ? 'pkg-config not available' : 'pkg-config has no openblas and lapacke';
  return { ok: false, why: `${pc}; ${found.why}`, how };
}

/**
 * Whether this install should build the addon, from npm's environment and where the package is. It builds for those
 * who run the command line: the repository's own `npm ci` or `npm install`, a global install (`npm install -g`),
 * `npx mcomplete`, `npm rebuild mcomplete` and `npm run build:native`. It does not when a project installs mcomplete
 * as a library (the package lies inside that project's node_modules): `complete()` and the rest run on the TypeScript
 * backend there. MCOMPLETE_BUILD_NATIVE=1 builds, and =0 skips (findBlas), whatever the context.
 * Returns { build: true } or { build: false, why, how }.
 */
export function installWants({ env = {}, packageRoot }) {
  if (env.MCOMPLETE_BUILD_NATIVE === '1') return { build: true };
  const byNpmInstall = env.npm_lifecycle_event === 'install' && !['exec', 'rebuild'].includes(env.npm_command ?? '');
  const asLibrary = packageRoot.split(/[\\/]/).includes('node_modules') && env.npm_config_global !== 'true';
  if (!byNpmInstall || !asLibrary) return { build: true };
  return {
    build: false,
    why: 'installed as a library: the TypeScript backend runs complete() and the rest',
    how: 'run `npm rebuild mcomplete` in your project (or install with MCOMPLETE_BUILD_NATIVE=1)',
  };
}
