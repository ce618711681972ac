import { createRng } from '../../src/random/index.ts';

/** A small ratings problem: a rank-r matrix plus noise, some entries observed, ids sparse and unordered. */
export interface RatingsProblem {
  /** CSV text "user,item,rating,extra" of the observed entries (in random order). */
  observedCsv: string;
  /** CSV text "user,item" of the held-out cells, and their true (noise-free) values in the same order. */
  queryCsv: string;
  truth: number[];
  rowId: (i: number) => string;
  colId: (j: number) => string;
  /** Noise-free value at (i, j). */
  value: (i: number, j: number) => number;
}

/**
 * M = offset + U V^T (U m×r, V n×r Gaussian, scaled so the low-rank part has entry RMS `scale`) plus N(0, noise²)
 * on the observed entries, each entry observed with probability `p`. Row ids are 1000 − 7i, column ids are
 * "m" + (13j mod 101): sparse and not in position order.
 */
export function ratingsProblem(opts: {
  m: number;
  n: number;
  rank: number;
  p: number;
  noise: number;
  seed: number;
  offset?: number;
  scale?: number;
}): RatingsProblem {
  const { m, n, rank, p, noise, seed } = opts;
  const rng = createRng(seed);
  const U = Array.from({ length: m * rank }, () => rng.normal());
  const V = Array.from({ length: n * rank }, () => rng.normal());
  const f = (opts.scale ?? 1) / Math.sqrt(rank);
  const value = (i: number, j: number): number => {
    let z = 0;
    for (let c = 0; c < rank; c++) z += U[i * rank + c] * V[j * rank + c];
    return (opts.offset ?? 0) + f * z;
  };
  const rowId = (i: number): string => String(1000 - 7 * i);
  const colId = (j: number): string => `m${(13 * j) % 101}`;
  const observed: string[] = [];
  const query: string[] = [];
  const truth: number[] = [];
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      if (rng.uniform() < p)
        observed.push(`${rowId(i)},${colId(j)},${(value(i, j) + noise * rng.normal()).toFixed(6)},x`);
      else {
        query.push(`${rowId(i)},${colId(j)}`);
        truth.push(value(i, j));
      }
    }
  }
  for (let t = observed.length - 1; t > 0; t--) {
    const k = rng.int(t + 1);
    [observed[t], observed[k]] = [observed[k], observed[t]];
  }
  return {
    observedCsv: `user,item,rating,extra\n${observed.join('\n')}\n`,
    queryCsv: `user,item\n${query.join('\n')}\n`,
    truth,
    rowId,
    colId,
    value,
  };
}
