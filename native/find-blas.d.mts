// Types of native/find-blas.mjs, for the TypeScript tests that import it.

/** What findBlas looks at: the machine's description and two probes. */
export interface BlasProbe {
  platform: string;
  arch: string;
  env?: Record<string, string | undefined>;
  /** Whether a file exists. */
  exists(file: string): boolean;
  /** pkg-config's stdout for these arguments, or null when it fails or is not installed. */
  pkgConfig(args: string[]): string | null;
  /** A directory the known directories are looked up under, as if it were /. */
  root?: string;
}

/** The flags binding.gyp gets, and where they came from. */
export interface BlasFound {
  ok: true;
  source: string;
  modules?: string[];
  includeDirs: string[];
  libraryDirs: string[];
  libraries: string[];
  cflags: string[];
  rpath: string[];
  summary: string;
}

/** Why the libraries were not found, and how to get them. */
export interface BlasMissing {
  ok: false;
  why: string;
  how: string;
}

/** The known header and library directories for a platform and architecture, most specific first. */
export function knownDirs(platform: string, arch: string): { include: string[]; lib: string[] };

/** The flags for OpenBLAS + LAPACKE, or why they were not found and how to get them. */
export function findBlas(probe: BlasProbe): BlasFound | BlasMissing;

/** Whether this install should build the addon: yes for the repository, a global install, npx and a rebuild; no as a project's dependency. */
export function installWants(probe: {
  env?: Record<string, string | undefined>;
  packageRoot: string;
}): { build: true } | { build: false; why: string; how: string };
