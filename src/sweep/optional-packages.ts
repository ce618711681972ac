// The command line's optional packages: Vega and Vega-Lite draw the reports' figures, BullMQ runs distributed sweeps.
// They are optional peer dependencies (package.json), so `npm install mcomplete` leaves them out for library users;
// the code that needs them loads them here on first use, and one that is not installed is a MissingPackageError that
// names it and the command that installs it.

/** The optional packages and the versions package.json's peerDependencies ask for. */
export const OPTIONAL_PACKAGES = { vega: '^6.4.0', 'vega-lite': '~6.4.1', bullmq: '^5.81.5' } as const;

/** The name of an optional package. */
export type OptionalPackage = keyof typeof OPTIONAL_PACKAGES;

/** What each group of optional packages is for, as the missing-package line says it. */
const PURPOSE = { figures: "the report's figures", queue: 'distributed sweeps (--queue, worker)' } as const;

/** Optional packages that are not installed: one line naming them and the command that installs them. */
export class MissingPackageError extends Error {
  /** The packages that are missing, in the order of OPTIONAL_PACKAGES. */
  readonly packages: OptionalPackage[];
  constructor(packages: OptionalPackage[], purpose: string) {
    const names = packages.join(' and ');
    const install = packages.map((p) => `${p}@${OPTIONAL_PACKAGES[p]}`).join(' ');
    super(
      `${purpose} need ${names}, which ${packages.length > 1 ? 'are' : 'is'} not installed (optional for library ` +
        `users): run \`npm install ${install}\` next to mcomplete (-g for a global install)`,
    );
    this.name = 'MissingPackageError';
    this.packages = packages;
  }
}

type Specifier = (name: OptionalPackage) => string;
let specifier: Specifier = (name) => name;
const loaded = new Map<OptionalPackage, Promise<unknown>>();

/**
 * Replace the module specifier each optional package is imported by (tests point them at modules that do not exist,
 * to see what a user without them gets); no argument restores the package names. Clears what was loaded.
 */
export function setPackageSpecifier(next?: Specifier): void {
  specifier = next ?? ((name) => name);
  loaded.clear();
}

const notFound = (err: unknown): boolean => (err as { code?: string } | null)?.code === 'ERR_MODULE_NOT_FOUND';

/** Throw MissingPackageError naming those of `names` that do not resolve (nothing is loaded). */
function check(names: OptionalPackage[], purpose: string): void {
  const missing = names.filter((name) => {
    try {
      import.meta.resolve(specifier(name));
      return false;
    } catch (err) {
      if (notFound(err)) return true;
      throw err;
    }
  });
  if (missing.length > 0) throw new MissingPackageError(missing, purpose);
}

/** Import `names` (once each); throws MissingPackageError naming every one that is not installed. */
async function loadAll(names: OptionalPackage[], purpose: string): Promise<unknown[]> {
  const results = await Promise.allSettled(
    names.map((name) => {
      let p = loaded.get(name);
      if (!p) {
        p = import(specifier(name));
        loaded.set(name, p);
        p.catch(() => loaded.delete(name));
      }
      return p;
    }),
  );
  const missing = names.filter((_, i) => {
    const r = results[i];
    return r.status === 'rejected' && notFound(r.reason);
  });
  if (missing.length > 0) throw new MissingPackageError(missing, purpose);
  return results.map((r) => {
    if (r.status === 'rejected') throw r.reason;
    return r.value;
  });
}

/** Throw MissingPackageError unless Vega and Vega-Lite are installed; resolves them without loading them. */
export function checkVega(): void {
  check(['vega', 'vega-lite'], PURPOSE.figures);
}

/** Throw MissingPackageError unless BullMQ is installed; resolves it without loading it. */
export function checkBullmq(): void {
  check(['bullmq'], PURPOSE.queue);
}

/** Vega and Vega-Lite, for rendering figures; throws MissingPackageError when either is not installed. */
export async function loadVega(): Promise<{ vega: typeof import('vega'); vegaLite: typeof import('vega-lite') }> {
  const [vega, vegaLite] = await loadAll(['vega', 'vega-lite'], PURPOSE.figures);
  return { vega: vega as typeof import('vega'), vegaLite: vegaLite as typeof import('vega-lite') };
}

/** BullMQ, for distributed sweeps; throws MissingPackageError when it is not installed. */
export async function loadBullmq(): Promise<typeof import('bullmq')> {
  const [bullmq] = await loadAll(['bullmq'], PURPOSE.queue);
  return bullmq as typeof import('bullmq');
}
