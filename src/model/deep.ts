import { zeros, type Matrix } from '../linalg/matrix.ts';
import { getBackend, type Backend } from '../linalg/backend.ts';
import { fillNormal, type Rng } from '../random/index.ts';

/**
 * A depth-N full-width linear network W = W_N ⋯ W_1 for an m×n target (docs/design/math.md 3.3): W_1 is m×n and
 * W_2 … W_N are m×m, so no layer limits the rank. Depth 1 is W itself.
 */
export interface DeepModel {
  readonly shape: readonly [number, number];
  readonly layers: Matrix[];
}

/** Preallocated products for forward and backward passes of one model shape. */
export interface DeepWorkspace {
  /** prefix[j] = W_{j+1} ⋯ W_1 (prefix[N-1] is the end-to-end W). */
  readonly prefix: Matrix[];
  /** suffix[j] = W_N ⋯ W_{j+1}, for j = 1 … N-1 (index 0 unused). */
  readonly suffix: Matrix[];
  /** scratch m×m product. */
  readonly tmpSquare: Matrix;
}

/**
 * Arora et al. 2019 initialization: every layer i.i.d. N(0, (s^{1/N}/sqrt(m))²), so the end-to-end entries have
 * variance s²/m and ||W_0||_F ≈ s·sqrt(n) for square n×n targets. Draws from `rng` in layer order.
 */
export function initDeepModel(m: number, n: number, depth: number, initScale: number, rng: Rng): DeepModel {
  if (!Number.isInteger(depth) || depth < 1) throw new RangeError(`depth must be a positive integer, got ${depth}`);
  if (!(initScale > 0) || !Number.isFinite(initScale)) throw new RangeError(`init scale must be > 0, got ${initScale}`);
  const sigma = Math.pow(initScale, 1 / depth) / Math.sqrt(m);
  const layers: Matrix[] = [];
  for (let j = 0; j < depth; j++) {
    const L = j === 0 ? zeros(m, n) : zeros(m, m);
    fillNormal(rng, L.data, sigma);
    layers.push(L);
  }
  return { shape: [m, n], layers };
}

/** Buffers for a model of this shape and depth. */
export function createDeepWorkspace(model: DeepModel): DeepWorkspace {
  const [m, n] = model.shape;
  const N = model.layers.length;
  const prefix: Matrix[] = [];
  const suffix: Matrix[] = [];
  for (let j = 0; j < N; j++) {
    prefix.push(j === 0 ? model.layers[0] : zeros(m, n));
    suffix.push(j === 0 ? zeros(0, 0) : zeros(m, m));
  }
  return { prefix, suffix, tmpSquare: zeros(m, m) };
}

/** The end-to-end matrix W = W_N ⋯ W_1 (a view into the workspace). Cost 2(N−1)m²n flops on `backend`. */
export function forward(model: DeepModel, ws: DeepWorkspace, backend: Backend = getBackend()): Matrix {
  const { layers } = model;
  for (let j = 1; j < layers.length; j++) backend.gemm(layers[j], ws.prefix[j - 1], { out: ws.prefix[j] });
  return ws.prefix[layers.length - 1];
}

/**
 * Chain rule through the product: given G = ∇_W f at the last forward pass, write
 * ∂f/∂W_j = (W_N ⋯ W_{j+1})^T · G · (W_{j−1} ⋯ W_1)^T into grads[j−1]. Call forward first (uses its prefixes).
 * Cost about 4(N−1)m²n flops on `backend`.
 */
export function backward(
  model: DeepModel,
  ws: DeepWorkspace,
  G: Matrix,
  grads: Matrix[],
  backend: Backend = getBackend(),
): void {
  const { gemm } = backend;
  const { layers } = model;
  const N = layers.length;
  if (N === 1) {
    grads[0].data.set(G.data);
    return;
  }
  // 0-based: W = L_{N-1} ⋯ L_0, prefix[j] = L_j ⋯ L_0, suffix[j] = L_{N-1} ⋯ L_j;
  // ∂f/∂L_j = suffix[j+1]^T · G · prefix[j-1]^T (an identity where the index runs off either end).
  ws.suffix[N - 1].data.set(layers[N - 1].data);
  for (let j = N - 2; j >= 1; j--) gemm(ws.suffix[j + 1], layers[j], { out: ws.suffix[j] });
  gemm(ws.suffix[1], G, { transA: true, out: grads[0] });
  gemm(G, ws.prefix[N - 2], { transB: true, out: grads[N - 1] });
  for (let j = 1; j < N - 1; j++) {
    gemm(G, ws.prefix[j - 1], { transB: true, out: ws.tmpSquare });
    gemm(ws.suffix[j + 1], ws.tmpSquare, { transA: true, out: grads[j] });
  }
}
