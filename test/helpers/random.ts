import { zeros, type Matrix } from '../../src/linalg/matrix.ts';
import { createRng } from '../../src/random/index.ts';

/** A rows×cols matrix of N(0,1) entries from `seed` (test data). */
export function randomMatrix(rows: number, cols: number, seed: number): Matrix {
  const rng = createRng(seed);
  const M = zeros(rows, cols);
  for (let i = 0; i < M.data.length; i++) M.data[i] = rng.normal();
  return M;
}

/** A small fast deterministic generator (mulberry32) of uniforms in [0, 1), for test data only. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** An m×n matrix of uniform(−1, 1) entries drawn from `rnd`. */
export function uniformMatrix(m: number, n: number, rnd: () => number): Matrix {
  const A = zeros(m, n);
  for (let i = 0; i < A.data.length; i++) A.data[i] = 2 * rnd() - 1;
  return A;
}
