import type { RunRecord } from '../sweep/execute.ts';
import { meanStd } from '../study/claims.ts';

/** Mean ± std over seeds of one method at one sample count (diverged runs counted apart). */
export interface SummaryRow {
  method: string;
  samples: number;
  seeds: number[];
  count: number;
  failed: number;
  relError: { mean: number; std: number; min: number };
  effectiveRank: { mean: number; std: number };
}

/** Methods in order of first appearance in the records. */
export function methodNames(records: readonly RunRecord[]): string[] {
  return [...new Set(records.map((r) => r.name))];
}

/** One row per (method, samples), methods in order of appearance, samples ascending. */
export function summarize(records: readonly RunRecord[]): SummaryRow[] {
  const rows: SummaryRow[] = [];
  for (const method of methodNames(records)) {
    const mine = records.filter((r) => r.name === method);
    for (const samples of [...new Set(mine.map((r) => r.samples))].sort((a, b) => a - b)) {
      const runs = mine.filter((r) => r.samples === samples);
      const ok = runs.filter((r) => r.metrics !== null);
      const rel = ok.map((r) => r.metrics!.relError);
      rows.push({
        method,
        samples,
        seeds: runs.map((r) => r.seed).sort((a, b) => a - b),
        count: ok.length,
        failed: runs.length - ok.length,
        relError: { ...meanStd(rel), min: rel.length ? Math.min(...rel) : NaN },
        effectiveRank: meanStd(ok.map((r) => r.metrics!.effectiveRank)),
      });
    }
  }
  return rows;
}

/** The sample count at which the most methods have runs (ties: the smallest): where the ablation is shown. */
export function ablationSamples(records: readonly RunRecord[]): number | null {
  const count = new Map<number, Set<string>>();
  for (const r of records) {
    if (!count.has(r.samples)) count.set(r.samples, new Set());
    count.get(r.samples)!.add(r.name);
  }
  let best: number | null = null;
  for (const [m, names] of [...count].sort((a, b) => a[0] - b[0])) {
    if (best === null || names.size > count.get(best)!.size) best = m;
  }
  return best;
}

/**
 * For each method, one run to show in detail: among its runs that pass `keep`, the one at `samples` if it has one
 * there (else the smallest m), lowest seed.
 */
export function representativeRuns(records: readonly RunRecord[], samples: number | null, keep: (r: RunRecord) => boolean): RunRecord[] {
  const out: RunRecord[] = [];
  for (const method of methodNames(records)) {
    const runs = records
      .filter((r) => r.name === method && keep(r))
      .sort((a, b) => Number(b.samples === samples) - Number(a.samples === samples) || a.samples - b.samples || a.seed - b.seed);
    if (runs.length > 0) out.push(runs[0]);
  }
  return out;
}

/** What a figure was made from: versions, problem sizes, seeds and sample counts of its runs. */
export function provenance(records: readonly RunRecord[]): string {
  const uniq = <T>(xs: T[]): T[] => [...new Set(xs)].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const versions = uniq(records.map((r) => r.version));
  const sweeps = uniq(records.map((r) => r.sweep));
  const sizes = uniq(records.map((r) => `n=${r.n}, rank ${r.rank}`));
  const seeds = uniq(records.map((r) => r.seed)).sort((a, b) => a - b);
  return (
    `${records.length} runs of sweep ${sweeps.join(', ')} (mcomplete ${versions.join(', ')}); ${sizes.join('; ')}; ` +
    `seeds ${seeds.join(', ')}; settings of each method in the table "Methods" below`
  );
}
