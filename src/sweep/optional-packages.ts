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

type Importer = (name: OptionalPackage) => Promise<unknown>;
const importPackage: Importer = (name) => import(name);
let importer: Importer = importPackage;
const loaded = new Map<OptionalPackage, Promise<unknown>>();

/**
 * Replace how optional packages are imported (tests point it at modules that do not exist, to see what a user
 * without them gets); no argument restores `import(name)`. Clears what was loaded.
 */
export function setPackageImporter(next?: Importer): void {
  importer = next ?? importPackage;
  loaded.clear();
}

/** Import `names` (once each); throws MissingPackageError naming every one that is not installed. */
async function loadAll(names: OptionalPackage[], purpose: string): Promise<unknown[]> {
  const results = await Promise.allSettled(
    names.map((name) => {
      let p = loaded.get(name);
      if (!p) {
        p = importer(name);
        loaded.set(name, p);
        p.catch(() => loaded.delete(name));
      }
      return p;
    }),
  );
  const missing = names.filter((_, i) => {
    const r = results[i];
    return r.status === 'rejected' && (r.reason as { code?: string } | null)?.code === 'ERR_MODULE_NOT_FOUND';
  });
  if (missing.length > 0) throw new MissingPackageError(missing, purpose);
  return results.map((r) => {
    if (r.status === 'rejected') throw r.reason;
    return r.value;
  });
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
