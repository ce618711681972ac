import { zeros, type Matrix } from '../../src/linalg/matrix.ts';
import { createRng } from '../../src/random/index.ts';

/** A rows×cols matrix of N(0,1) entries from `seed` (test data). */
export function randomMatrix(rows: number, cols: number, seed: number): Matrix {
  const rng = createRng(seed);
  const M = zeros(rows, cols);
  for (let i = 0; i < M.data.length; i++) M.data[i] = rng.normal();
  return M;
}
