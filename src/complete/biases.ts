import type { Observations } from '../data/observations.ts';

/** The additive baseline M_ij ≈ mean + row[i] + col[j] (Koren's baseline predictor, "centering"). */
export interface Biases {
  readonly mean: number;
  readonly row: Float64Array;
  readonly col: Float64Array;
  /** Ridge weight the biases were fitted with. */
  readonly lambda: number;
}

/** Biases that add nothing: mean 0 and zero row and column terms (centering off). */
export function zeroBiases(m: number, n: number): Biases {
  return { mean: 0, row: new Float64Array(m), col: new Float64Array(n), lambda: 0 };
}

/**
 * Ridge-regularized row and column biases around the global mean μ: minimizes
 * Σ_Ω (M_ij − μ − b_i − c_j)² + λ(Σ b_i² + Σ c_j²) by block coordinate descent (exact updates
 * c_j = Σ_{i∈Ω_j}(M_ij − μ − b_i)/(|Ω_j| + λ), then b_i likewise), `sweeps` times. λ = 0 gives plain two-way
 * centering; λ > 0 shrinks the biases of rows and columns with few entries toward 0 (Koren 2008, "baseline
 * predictors"). A row or column without entries gets 0. Cost O(sweeps·|Ω|).
 */
export function fitBiases(obs: Observations, lambda: number, sweeps = 15): Biases {
  if (!(lambda >= 0) || !Number.isFinite(lambda)) throw new RangeError(`bias ridge weight must be >= 0, got ${lambda}`);
  const [m, n] = obs.shape;
  const { rows, cols, values } = obs;
  const count = values.length;
  let mean = 0;
  for (let k = 0; k < count; k++) mean += values[k];
  mean = count === 0 ? 0 : mean / count;
  const row = new Float64Array(m);
  const col = new Float64Array(n);
  const rowCount = new Float64Array(m);
  const colCount = new Float64Array(n);
  for (let k = 0; k < count; k++) {
    rowCount[rows[k]]++;
    colCount[cols[k]]++;
  }
  const sum = new Float64Array(Math.max(m, n));
  for (let sweep = 0; sweep < sweeps; sweep++) {
    sum.fill(0, 0, n);
    for (let k = 0; k < count; k++) sum[cols[k]] += values[k] - mean - row[rows[k]];
    for (let j = 0; j < n; j++) col[j] = colCount[j] + lambda > 0 ? sum[j] / (colCount[j] + lambda) : 0;
    sum.fill(0, 0, m);
    for (let k = 0; k < count; k++) sum[rows[k]] += values[k] - mean - col[cols[k]];
    for (let i = 0; i < m; i++) row[i] = rowCount[i] + lambda > 0 ? sum[i] / (rowCount[i] + lambda) : 0;
  }
  return { mean, row, col, lambda };
}

/** The observations minus their baseline: M_ij − (μ + b_i + c_j) on Ω, the target of the low-rank part. Cost O(|Ω|). */
export function residualObservations(obs: Observations, b: Biases): Observations {
  const values = new Float64Array(obs.values.length);
  for (let k = 0; k < values.length; k++) values[k] = obs.values[k] - b.mean - b.row[obs.rows[k]] - b.col[obs.cols[k]];
  return { shape: obs.shape, rows: obs.rows, cols: obs.cols, values };
}
