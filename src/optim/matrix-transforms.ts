// The gradient transforms that treat a parameter group as a matrix (row-major rows×cols, from init's
// ParamInfo.shapes): Adafactor's factored second moment and Muon's orthogonalization. A group without a shape is a
// vector and gets each one's vector form (stated below).
import { OPTIMIZER_DEFAULTS } from '../defaults.ts';
import { getBackend, type Backend } from '../linalg/backend.ts';
import type { Matrix } from '../linalg/matrix.ts';
import type { SvdWorkspace } from '../linalg/svd.ts';
import type { GradientTransform, ParamInfo } from './transform.ts';
import { checkNonNegative, checkShapes, checkUnitInterval, show } from './validate.ts';

/** The rows×cols of group g from init's info, or null for a vector (no shape, or a shape that does not match its size). */
function shapeOf(
  info: ParamInfo | undefined,
  g: number,
  size: number,
  label: string,
): readonly [number, number] | null {
  const shape = info?.shapes?.[g] ?? null;
  if (shape === null) return null;
  if (shape[0] * shape[1] !== size) {
    throw new RangeError(`${label}: shapes[${g}] is ${shape[0]}×${shape[1]} but the group has ${size} entries`);
  }
  return shape;
}

/** State of scaleByFactoredRms: the step count and, per group, row and column moments (matrix) or a full one (vector). */
export interface FactoredRmsState {
  count: number;
  groups: (
    | { kind: 'matrix'; rows: number; cols: number; row: Float64Array; col: Float64Array }
    | { kind: 'vector'; nu: Float64Array }
  )[];
}

/**
 * Adafactor's second moment (Shazeer & Stern 2018, Algorithm 4) for a rows×cols group G: row sums
 * R ← decay·R + (1−decay)·(G² + eps)·1 and column sums C ← decay·C + (1−decay)·1ᵀ(G² + eps), the rank-1 estimate
 * V̂_ij = R_i C_j / (Σ R) / (1 − decay^t), and u ← g / sqrt(V̂). Only the factoring is Adafactor's: a constant decay
 * with bias correction (as scaleByRms) instead of its 1 − t^−0.8 schedule, no update clipping, no relative step
 * size. A vector group (no shape, or one row or column, where the factoring is exact anyway) keeps a full
 * V_i (scaleByRms with eps inside the sqrt). Defaults decay 0.999 (Adam's beta2), eps 1e-30 (the paper's ε1).
 * Cost ~8 flops and one sqrt per parameter; state rows + cols per matrix (P per vector).
 */
export function scaleByFactoredRms(opts: { decay?: number; eps?: number } = {}): GradientTransform<FactoredRmsState> {
  const d = OPTIMIZER_DEFAULTS.adafactor;
  const decay = opts.decay ?? d.beta2;
  const eps = opts.eps ?? d.eps;
  checkUnitInterval('scaleByFactoredRms: decay', decay);
  checkNonNegative('scaleByFactoredRms: eps', eps);
  const name = `scaleByFactoredRms(${decay}, ${eps})`;
  return {
    name,
    init(sizes, info) {
      const groups = sizes.map((size, g): FactoredRmsState['groups'][number] => {
        if (!Number.isInteger(size) || size < 0)
          throw new RangeError(`${name}: sizes[${g}] must be an integer >= 0, got ${show(size)}`);
        const shape = shapeOf(info, g, size, name);
        if (shape === null || shape[0] === 1 || shape[1] === 1) return { kind: 'vector', nu: new Float64Array(size) };
        return {
          kind: 'matrix',
          rows: shape[0],
          cols: shape[1],
          row: new Float64Array(shape[0]),
          col: new Float64Array(shape[1]),
        };
      });
      return { count: 0, groups };
    },
    apply(updates, state) {
      if (updates.length !== state.groups.length) {
        throw new RangeError(
          `${name}: got ${updates.length} update groups, state was initialised for ${state.groups.length}`,
        );
      }
      const t = ++state.count;
      const c = 1 - decay;
      const correction = 1 - Math.pow(decay, t);
      for (let g = 0; g < updates.length; g++) {
        const ug = updates[g];
        const s = state.groups[g];
        if (s.kind === 'vector') {
          checkShapes(name, [ug], [s.nu]);
          for (let i = 0; i < ug.length; i++) {
            const vi = decay * s.nu[i] + c * (ug[i] * ug[i] + eps);
            s.nu[i] = vi;
            ug[i] /= Math.sqrt(vi / correction);
          }
          continue;
        }
        const { rows, cols, row, col } = s;
        if (ug.length !== rows * cols)
          throw new RangeError(`${name}: update group ${g} has length ${ug.length}, expected ${rows}×${cols}`);
        for (let i = 0; i < rows; i++) row[i] *= decay;
        for (let j = 0; j < cols; j++) col[j] *= decay;
        for (let i = 0; i < rows; i++) {
          const off = i * cols;
          for (let j = 0; j < cols; j++) {
            const q = c * (ug[off + j] * ug[off + j] + eps);
            row[i] += q;
            col[j] += q;
          }
        }
        let total = 0;
        for (let i = 0; i < rows; i++) total += row[i];
        const k = 1 / (total * correction);
        for (let i = 0; i < rows; i++) {
          const off = i * cols;
          const ri = row[i] * k;
          for (let j = 0; j < cols; j++) ug[off + j] /= Math.sqrt(ri * col[j]);
        }
      }
    },
  };
}

/** How orthogonalize computes the polar factor: an exact SVD, or `steps` cubic Newton–Schulz iterations. */
export type PolarMethod = 'svd' | 'newton-schulz';

/** State of orthogonalize: per group its shape, the backend's SVD workspace and buffers (null for a vector). */
export interface OrthogonalizeState {
  backend: Backend;
  groups: ({
    rows: number;
    cols: number;
    ws: SvdWorkspace | null;
    out: Matrix;
    gram: Matrix | null;
    tmp: Matrix | null;
  } | null)[];
}

/**
 * Muon's orthogonalization (Jordan et al. 2024): replace each matrix group's update G = U Σ Vᵀ by its polar factor
 * U Vᵀ, every singular value set to one (the steepest step under the spectral norm; Bernstein & Newhouse 2024).
 * Here exactly, through the backend's thin SVD (singular values ≤ max(rows, cols)·ε·σ_max count as zero and
 * are dropped, so a rank-deficient G keeps its rank); with method 'newton-schulz', `steps` cubic iterations
 * X ← 1.5·X − 0.5·X XᵀX from X = G/||G||_F (Higham 2008, eq. 8.20), which converge quadratically once every
 * singular value of X is near one (Muon itself uses five tuned quintic steps, an approximation). A vector group
 * (no shape) is a 1×P matrix: u ← g/||g||. Defaults svd, 20 steps. Cost per rows×cols group: one SVD, O(rows·cols·min)
 * (at n = 100 on the native backend see docs/benchmarks.md), plus one gemm; Newton–Schulz 4·rows·cols·min flops per step.
 */
export function orthogonalize(
  opts: { method?: PolarMethod; steps?: number; backend?: Backend } = {},
): GradientTransform<OrthogonalizeState> {
  const method = opts.method ?? 'svd';
  const steps = opts.steps ?? 20;
  if (method !== 'svd' && method !== 'newton-schulz') {
    throw new RangeError(`orthogonalize: method must be "svd" or "newton-schulz", got ${show(method)}`);
  }
  if (!Number.isInteger(steps) || steps < 1)
    throw new RangeError(`orthogonalize: steps must be an integer >= 1, got ${show(steps)}`);
  const name = method === 'svd' ? 'orthogonalize(svd)' : `orthogonalize(newton-schulz ${steps})`;
  return {
    name,
    init(sizes, info) {
      const backend = opts.backend ?? info?.backend ?? getBackend();
      const groups = sizes.map((size, g): OrthogonalizeState['groups'][number] => {
        if (!Number.isInteger(size) || size < 0)
          throw new RangeError(`${name}: sizes[${g}] must be an integer >= 0, got ${show(size)}`);
        const shape = shapeOf(info, g, size, name);
        if (shape === null) return null;
        const [rows, cols] = shape;
        const k = Math.min(rows, cols);
        const matrix = (r: number, c: number): Matrix => ({ rows: r, cols: c, data: new Float64Array(r * c) });
        return {
          rows,
          cols,
          ws: method === 'svd' ? backend.createSvdWorkspace(rows, cols) : null,
          out: matrix(rows, cols),
          gram: method === 'svd' ? null : matrix(k, k),
          tmp: method === 'svd' ? null : matrix(rows, cols),
        };
      });
      return { backend, groups };
    },
    apply(updates, state) {
      if (updates.length !== state.groups.length) {
        throw new RangeError(
          `${name}: got ${updates.length} update groups, state was initialised for ${state.groups.length}`,
        );
      }
      for (let g = 0; g < updates.length; g++) {
        const ug = updates[g];
        const s = state.groups[g];
        if (s === null) {
          let sumSq = 0;
          for (let i = 0; i < ug.length; i++) sumSq += ug[i] * ug[i];
          const c = sumSq > 0 ? 1 / Math.sqrt(sumSq) : 0;
          for (let i = 0; i < ug.length; i++) ug[i] *= c;
          continue;
        }
        if (ug.length !== s.rows * s.cols)
          throw new RangeError(`${name}: update group ${g} has length ${ug.length}, expected ${s.rows}×${s.cols}`);
        const G: Matrix = { rows: s.rows, cols: s.cols, data: ug };
        if (s.ws) polarBySvd(G, s.ws, s.out, state.backend);
        else polarByNewtonSchulz(G, steps, s.out, s.gram as Matrix, s.tmp as Matrix, state.backend);
        ug.set(s.out.data);
      }
    },
  };
}

/** out ← U Vᵀ over the singular values above max(m, n)·ε·σ_max (G = U Σ Vᵀ by the backend's thin SVD). */
function polarBySvd(G: Matrix, ws: SvdWorkspace, out: Matrix, backend: Backend): void {
  const { U, s, V } = backend.svdInto(G, ws);
  const k = s.length;
  const cutoff = Math.max(G.rows, G.cols) * 2.220446049250313e-16 * (s[0] ?? 0);
  let kept = 0;
  while (kept < k && s[kept] > cutoff) kept++;
  if (kept === k) {
    backend.gemm(U, V, { transB: true, out });
    return;
  }
  const o = out.data;
  o.fill(0);
  for (let i = 0; i < G.rows; i++) {
    for (let j = 0; j < G.cols; j++) {
      let sum = 0;
      for (let l = 0; l < kept; l++) sum += U.data[i * U.cols + l] * V.data[j * V.cols + l];
      o[i * G.cols + j] = sum;
    }
  }
}

/**
 * out ← the cubic Newton–Schulz iterate after `steps` steps from X = G/||G||_F: X ← 1.5·X − 0.5·X(XᵀX) when
 * rows ≥ cols, X ← 1.5·X − 0.5·(XXᵀ)X otherwise (the min×min Gram matrix either way).
 */
function polarByNewtonSchulz(G: Matrix, steps: number, out: Matrix, gram: Matrix, tmp: Matrix, backend: Backend): void {
  const x = out.data;
  let sumSq = 0;
  for (let i = 0; i < G.data.length; i++) sumSq += G.data[i] * G.data[i];
  if (sumSq === 0) {
    x.fill(0);
    return;
  }
  const c = 1 / Math.sqrt(sumSq);
  for (let i = 0; i < x.length; i++) x[i] = G.data[i] * c;
  const tall = G.rows >= G.cols;
  for (let step = 0; step < steps; step++) {
    if (tall) {
      backend.gemm(out, out, { transA: true, out: gram });
      backend.gemm(out, gram, { out: tmp });
    } else {
      backend.gemm(out, out, { transB: true, out: gram });
      backend.gemm(gram, out, { out: tmp });
    }
    const y = tmp.data;
    for (let i = 0; i < x.length; i++) x[i] = 1.5 * x[i] - 0.5 * y[i];
  }
}
