// A fitted completion as a tool: save and load (a versioned binary file), top-N recommendations, similar items, and
// fold-in of a new or returning user (or item) against the fixed other side. Browser-safe: bytes in and out, no fs.
import { zeros, type Matrix } from '../linalg/matrix.ts';
import { getBackend } from '../linalg/backend.ts';
import { qr } from '../linalg/qr.ts';
import { svd } from '../linalg/svd.ts';
import type { Observations } from '../data/observations.ts';
import { labelIndex } from '../data/labels.ts';
import { createSha256, littleEndianBytes, readLittleEndian } from '../data/fingerprint.ts';
import type { FactoredWeighting } from '../solver/factored-train.ts';
import type { CompletionMethod } from './grid.ts';
import type { Biases } from './biases.ts';
import { FALLBACK_RULE, makePredictor, type CompletionParts, type Predictor } from './predictor.ts';

/** The version of the saved-model format this code writes and reads (docs/complete.md, "Saved models"). */
export const MODEL_FORMAT_VERSION = 1;

/** The first 8 bytes of a saved model: 0x89 "MCM" CR LF 0x1A LF (as PNG's, it catches text-mode copies). */
export const MODEL_MAGIC: Uint8Array = Uint8Array.of(0x89, 0x4d, 0x43, 0x4d, 0x0d, 0x0a, 0x1a, 0x0a);

/** Bytes of the trailing checksum (SHA-256 of every byte before it). */
const CHECKSUM_BYTES = 32;

/** One low-rank component of the fit (a blend has two, side by side in L and R) and how it folds in a new row. */
export interface FoldInBlock {
  /** The method that fitted it: soft-impute and nuclear fold in on the balanced factors, ratio on its own factors. */
  method: CompletionMethod;
  /** Its columns in L and R (the blocks follow each other). */
  rank: number;
  /** Its blend weight (1 without a blend): its part of L is weight × the component's own row factors. */
  weight: number;
  /** The refit's λ: soft-impute's λ of ½||P_Ω(M − Z)||² + λ||Z||_*, nuclear's of the mean loss + λ||Z||_*. */
  lambda: number;
  /** Gradient methods: the chosen weight decay ω on the factors and its weighting. */
  weightDecay: number;
  weighting: FactoredWeighting;
}

/** What a fold-in needs of the fit: whether biases were fitted, the components, and the refit's data size. */
export interface FoldInRule {
  center: boolean;
  blocks: FoldInBlock[];
  /** |Ω|, m and n of the refit (the ridge weights of weighting 'none' scale with them). */
  entries: number;
  rows: number;
  cols: number;
}

/** How the training file was read, kept so that `mcomplete predict` reads a query as `complete` did. */
export interface SavedInput {
  /** Names of the row id, column id and value columns. */
  names: readonly [string, string, string];
  /** The id columns were picked by name (--columns): a query must then name them too. */
  columnsGiven: boolean;
  format: 'triplets' | 'dense' | 'matrix-market';
}

/** What a model knows about how it was made. */
export interface ModelInfo {
  /** The fitted method (a blend's first component). */
  method: CompletionMethod;
  /** complete()'s resolved settings (JSON-safe: no onProgress). */
  settings: Readonly<Record<string, unknown>>;
  /** dataFingerprint of the training data ("sha256:…"). */
  fingerprint: string;
  foldIn: FoldInRule;
  /** How the training file was read, when a command saved the model; null from the library. */
  input: SavedInput | null;
  /** How many foldIn / foldInItem calls made this model from the fitted one. */
  foldedIn: number;
}

/** One recommended item: its id and score (the model's value before the clip). */
export interface Recommendation {
  item: string;
  score: number;
}

/** Options of recommend: how many items, whether seen items are left out, the least training support of an item. */
export interface RecommendOptions {
  /** Items per user (default 10). */
  top?: number;
  /** Leave out the items the user rated in training (default true). */
  excludeSeen?: boolean;
  /** Only items with at least this many training ratings (default 0: every item). */
  minSupport?: number;
}

/** Ratings of one user (item id → value) or of one item (user id → value), for a fold-in. */
export type FoldInRatings = Iterable<readonly [string | number, number]>;

/** A fitted model's pieces and what it was trained on: everything save() writes. */
export interface ModelState {
  readonly parts: CompletionParts;
  /** The training entries (positions in rowIds/colIds order): keepObserved, seen items, item support. */
  readonly observed: Observations;
  readonly info: ModelInfo;
}

/**
 * A fitted completion model: predictions by id (Predictor), save(), top-N, similar items and fold-in. The fold-ins
 * return a new model; this one is never changed.
 */
export interface FittedModel extends Predictor {
  readonly method: CompletionMethod;
  readonly parts: CompletionParts;
  readonly observed: Observations;
  readonly info: ModelInfo;
  /** The model as bytes in the saved-model format (loadModel reads them back). Cost O(|Ω| + (m+n)k + labels). */
  save(options?: { input?: SavedInput }): Uint8Array;
  /** recommendMany for one user. */
  recommend(user: string | number, options?: RecommendOptions): Recommendation[];
  /**
   * The `top` items of highest score for each user, best first (ties: the earlier item), seen items left out unless
   * excludeSeen is false, items with fewer than minSupport training ratings left out. The score is
   * mean + b_u + c_j + L_u·R_j before the clip, so items above the clip's top keep their order. Users are scored in
   * blocks of 256 with one matrix product against every item (the Backend's gemm). An unknown user id is a
   * RangeError (fold it in first). Cost O(users·n·k + users·n·log top).
   */
  recommendMany(users: ArrayLike<string | number>, options?: RecommendOptions): Recommendation[][];
  /**
   * The `top` items most similar to `item` by cosine on the item factors of the balanced factorization of the
   * low-rank part, L·Rᵀ = (U S^½)(V S^½)ᵀ (the rows of V S^½), best first; the item itself and items whose factor is
   * zero are left out, and so are items with fewer than minSupport training ratings. Cost O((m+n)k² + n·k).
   */
  similarItems(item: string | number, top?: number, options?: { minSupport?: number }): Recommendation[];
  /** Training ratings of each item (column), in colIds order. */
  itemSupport(): Int32Array;
  /** The items a user rated in training (ids, in colIds order); an unknown user has none. */
  seenItems(user: string | number): string[];
  /**
   * A model with `user` folded in from `ratings` (item id → value; every item must be known): its bias by the
   * biases' ridge, then its low-rank row by one ridge solve against the fixed item side (docs/complete.md,
   * "Fold-in"). A known user's row and training ratings are replaced by these; a new one is added. Cost
   * O(|ratings|·k² + k³) for the solve, O((m+n)k² ) once per model for a balanced factorization, and O(|Ω| + (m+n)k)
   * to copy the model.
   */
  foldIn(user: string | number, ratings: FoldInRatings): FittedModel;
  /** foldIn with rows and columns swapped: an item folded in from its ratings (user id → value). */
  foldInItem(item: string | number, ratings: FoldInRatings): FittedModel;
}

/** The balanced factorization of one block: L_b·R_bᵀ/weight = (Q_L P)·S·(Q_R Q)ᵀ, with the triangular factors. */
interface Balanced {
  /** U S^½ (m×k) and V S^½ (n×k). */
  A: Matrix;
  B: Matrix;
  sqrtS: Float64Array;
  /** L_b/weight = Q_L T_L, R_b = Q_R T_R (k×k upper triangular); core T_L T_Rᵀ = P S Qᵀ. */
  TL: Matrix;
  TR: Matrix;
  P: Matrix;
  Q: Matrix;
}

/** A FittedModel over `state` (nothing is copied: the state must not change afterwards). Cost O(m + n) to index. */
export function makeFittedModel(state: ModelState): FittedModel {
  const { parts, observed, info } = state;
  const predictor = makePredictor(parts, observed);
  const m = parts.rowIds.length;
  const n = parts.colIds.length;
  const k = parts.L.cols;
  const rowIndex = labelIndex(parts.rowIds);
  const colIndex = labelIndex(parts.colIds);
  let support: Int32Array | null = null;
  let byRow: { start: Int32Array; cols: Int32Array } | null = null;
  const balanced = new Map<string, Balanced>();

  const itemSupport = (): Int32Array => {
    if (!support) {
      support = new Int32Array(n);
      for (let t = 0; t < observed.cols.length; t++) support[observed.cols[t]]++;
    }
    return support;
  };
  const seenIndex = (): { start: Int32Array; cols: Int32Array } => {
    if (!byRow) {
      const start = new Int32Array(m + 1);
      for (let t = 0; t < observed.rows.length; t++) start[observed.rows[t] + 1]++;
      for (let i = 0; i < m; i++) start[i + 1] += start[i];
      const fill = start.slice(0, m);
      const cols = new Int32Array(observed.rows.length);
      for (let t = 0; t < observed.rows.length; t++) cols[fill[observed.rows[t]]++] = observed.cols[t];
      for (let i = 0; i < m; i++) cols.subarray(start[i], start[i + 1]).sort();
      byRow = { start, cols };
    }
    return byRow;
  };
  const userAt = (user: string | number, what: string): number => {
    const i = rowIndex.get(String(user));
    if (i === undefined) throw new RangeError(`${what}: unknown user (row) id ${JSON.stringify(String(user))}`);
    return i;
  };
  const blockBalanced = (from: number, block: FoldInBlock): Balanced => {
    const key = `${from}:${block.rank}`;
    let b = balanced.get(key);
    if (!b) {
      b = balance(columns(parts.L, from, block.rank, 1 / block.weight), columns(parts.R, from, block.rank, 1));
      balanced.set(key, b);
    }
    return b;
  };

  const recommendMany = (users: ArrayLike<string | number>, options: RecommendOptions = {}): Recommendation[][] => {
    const { top, excludeSeen, minSupport } = recommendOptions(options, 'recommend');
    const positions = Array.from({ length: users.length }, (_, u) => userAt(users[u], 'recommend'));
    const counts = itemSupport();
    const seen = excludeSeen ? seenIndex() : null;
    const eligible = new Uint8Array(n);
    for (let j = 0; j < n; j++) eligible[j] = counts[j] >= minSupport ? 1 : 0;
    const { biases } = parts;
    const out: Recommendation[][] = [];
    const BLOCK = 256;
    const backend = getBackend();
    const skip = new Uint8Array(n);
    for (let first = 0; first < positions.length; first += BLOCK) {
      const rows = positions.slice(first, first + BLOCK);
      const Lb = zeros(rows.length, k);
      for (let u = 0; u < rows.length; u++) Lb.data.set(parts.L.data.subarray(rows[u] * k, rows[u] * k + k), u * k);
      const S = k > 0 ? backend.gemm(Lb, parts.R, { transB: true }) : zeros(rows.length, n);
      for (let u = 0; u < rows.length; u++) {
        const i = rows[u];
        if (seen) for (let t = seen.start[i]; t < seen.start[i + 1]; t++) skip[seen.cols[t]] = 1;
        const base = biases.mean + biases.row[i];
        const heap = createTopHeap(top);
        for (let j = 0; j < n; j++) {
          if (!eligible[j] || skip[j]) continue;
          heap.offer(j, base + biases.col[j] + S.data[u * n + j]);
        }
        if (seen) for (let t = seen.start[i]; t < seen.start[i + 1]; t++) skip[seen.cols[t]] = 0;
        out.push(heap.sorted().map(({ index, score }) => ({ item: parts.colIds[index], score })));
      }
    }
    return out;
  };

  const foldSide = (side: 'row' | 'col', id: string | number, ratings: FoldInRatings): FittedModel => {
    const what = side === 'row' ? 'foldIn' : 'foldInItem';
    const otherIndex = side === 'row' ? colIndex : rowIndex;
    const otherWord = side === 'row' ? 'item (column)' : 'user (row)';
    const at: number[] = [];
    const values: number[] = [];
    const taken = new Set<number>();
    for (const pair of ratings) {
      if (!Array.isArray(pair) || pair.length !== 2)
        throw new RangeError(`${what}: each rating must be a pair [id, value]`);
      const [otherId, value] = pair as readonly [string | number, number];
      const p = otherIndex.get(String(otherId));
      if (p === undefined)
        throw new RangeError(
          `${what}: unknown ${otherWord} id ${JSON.stringify(String(otherId))} (only ids the model knows can be folded in against)`,
        );
      if (typeof value !== 'number' || !Number.isFinite(value))
        throw new RangeError(
          `${what}: the rating of ${JSON.stringify(String(otherId))} is ${String(value)}, not a finite number`,
        );
      if (taken.has(p)) throw new RangeError(`${what}: ${JSON.stringify(String(otherId))} is rated twice`);
      taken.add(p);
      at.push(p);
      values.push(value);
    }
    const folded = foldInRow(side, at, values, parts, info.foldIn, (from, block) => blockBalanced(from, block));
    return makeFittedModel(withRow(state, side, String(id), at, values, folded));
  };

  return {
    ...predictor,
    method: info.method,
    parts,
    observed,
    info,
    save: (options = {}) => encodeModel(state, options.input ?? info.input),
    recommend: (user, options) => recommendMany([user], options)[0],
    recommendMany,
    similarItems(item, top = 10, options = {}) {
      const j = colIndex.get(String(item));
      if (j === undefined)
        throw new RangeError(`similarItems: unknown item (column) id ${JSON.stringify(String(item))}`);
      const { top: count, minSupport } = recommendOptions({ top, minSupport: options.minSupport }, 'similarItems');
      if (k === 0)
        throw new RangeError('similarItems: the model has no low-rank part (rank 0): no item factors to compare');
      // The balanced item side of the whole low-rank part: one block of weight 1 over every column.
      const { B } = blockBalanced(0, {
        method: 'soft-impute',
        rank: k,
        weight: 1,
        lambda: 0,
        weightDecay: 0,
        weighting: 'none',
      });
      const r = B.cols;
      const norm = new Float64Array(n);
      for (let q = 0; q < n; q++) {
        let s = 0;
        for (let c = 0; c < r; c++) s += B.data[q * r + c] ** 2;
        norm[q] = Math.sqrt(s);
      }
      const counts = itemSupport();
      const heap = createTopHeap(count);
      if (norm[j] > 0) {
        for (let q = 0; q < n; q++) {
          if (q === j || norm[q] === 0 || counts[q] < minSupport) continue;
          let dotq = 0;
          for (let c = 0; c < r; c++) dotq += B.data[q * r + c] * B.data[j * r + c];
          heap.offer(q, dotq / (norm[q] * norm[j]));
        }
      }
      return heap.sorted().map(({ index, score }) => ({ item: parts.colIds[index], score }));
    },
    itemSupport: () => itemSupport().slice(),
    seenItems(user) {
      const i = rowIndex.get(String(user));
      if (i === undefined) return [];
      const { start, cols } = seenIndex();
      return Array.from(cols.subarray(start[i], start[i + 1]), (j) => parts.colIds[j]);
    },
    foldIn: (user, ratings) => foldSide('row', user, ratings),
    foldInItem: (item, ratings) => foldSide('col', item, ratings),
  };
}

/** The options of recommend checked: top an integer >= 1, minSupport an integer >= 0, excludeSeen a boolean. */
function recommendOptions(o: RecommendOptions, what: string): Required<RecommendOptions> {
  const top = o.top ?? 10;
  const minSupport = o.minSupport ?? 0;
  const excludeSeen = o.excludeSeen ?? true;
  if (!Number.isInteger(top) || top < 1)
    throw new RangeError(`${what}: top must be an integer >= 1, got ${String(top)}`);
  if (!Number.isInteger(minSupport) || minSupport < 0)
    throw new RangeError(`${what}: minSupport must be an integer >= 0, got ${String(minSupport)}`);
  if (typeof excludeSeen !== 'boolean')
    throw new RangeError(`${what}: excludeSeen must be true or false, got ${String(excludeSeen)}`);
  return { top, minSupport, excludeSeen };
}

/** A bounded min-heap keeping the `size` best (index, score) pairs: higher score first, then lower index. */
function createTopHeap(size: number): {
  offer(index: number, score: number): void;
  sorted(): { index: number; score: number }[];
} {
  const idx: number[] = [];
  const val: number[] = [];
  // a is worse than b: lower score, or the same score and a later index.
  const worse = (a: number, b: number): boolean => val[a] < val[b] || (val[a] === val[b] && idx[a] > idx[b]);
  const swap = (a: number, b: number): void => {
    [idx[a], idx[b]] = [idx[b], idx[a]];
    [val[a], val[b]] = [val[b], val[a]];
  };
  const down = (p: number): void => {
    for (;;) {
      const l = 2 * p + 1;
      const r = l + 1;
      let w = p;
      if (l < idx.length && worse(l, w)) w = l;
      if (r < idx.length && worse(r, w)) w = r;
      if (w === p) return;
      swap(p, w);
      p = w;
    }
  };
  return {
    offer(index, score) {
      if (Number.isNaN(score)) return;
      if (idx.length < size) {
        idx.push(index);
        val.push(score);
        for (let c = idx.length - 1; c > 0;) {
          const p = (c - 1) >> 1;
          if (!worse(c, p)) break;
          swap(c, p);
          c = p;
        }
        return;
      }
      if (val[0] > score || (val[0] === score && idx[0] < index)) return;
      idx[0] = index;
      val[0] = score;
      down(0);
    },
    sorted() {
      const out = idx.map((index, t) => ({ index, score: val[t] }));
      return out.sort((a, b) => b.score - a.score || a.index - b.index);
    },
  };
}

/** Columns [from, from + count) of X times `scale`, as a new matrix. Cost O(rows·count). */
function columns(X: Matrix, from: number, count: number, scale: number): Matrix {
  const out = zeros(X.rows, count);
  for (let i = 0; i < X.rows; i++)
    for (let c = 0; c < count; c++) out.data[i * count + c] = scale * X.data[i * X.cols + from + c];
  return out;
}

/**
 * The balanced factorization of L·Rᵀ (k <= min(m, n)): thin QRs L = Q_L T_L, R = Q_R T_R, the SVD of the k×k core
 * T_L T_Rᵀ = P S Qᵀ, then A = Q_L P S^½ and B = Q_R Q S^½ (A·Bᵀ = L·Rᵀ, AᵀA = BᵀB = S). Pure TypeScript, so the
 * same on every backend. Cost O((m+n)k² + k³).
 */
function balance(L: Matrix, R: Matrix): Balanced {
  const k = L.cols;
  if (k > Math.min(L.rows, R.rows))
    throw new RangeError(
      `fold-in and similar items need the rank (${k}) to be at most min(m, n) = ${Math.min(L.rows, R.rows)}`,
    );
  const ql = qr(L);
  const qrR = qr(R);
  const core = zeros(k, k);
  for (let a = 0; a < k; a++)
    for (let b = 0; b < k; b++) {
      let z = 0;
      for (let c = 0; c < k; c++) z += ql.R.data[a * k + c] * qrR.R.data[b * k + c];
      core.data[a * k + b] = z;
    }
  const { U: P, s, V: Q } = svd(core);
  const sqrtS = Float64Array.from(s, (x) => Math.sqrt(Math.max(x, 0)));
  const times = (Qx: Matrix, W: Matrix): Matrix => {
    const out = zeros(Qx.rows, k);
    for (let i = 0; i < Qx.rows; i++)
      for (let c = 0; c < k; c++) {
        let z = 0;
        for (let a = 0; a < k; a++) z += Qx.data[i * k + a] * W.data[a * k + c];
        out.data[i * k + c] = z * sqrtS[c];
      }
    return out;
  };
  return { A: times(ql.Q, P), B: times(qrR.Q, Q), sqrtS, TL: ql.R, TR: qrR.R, P, Q };
}

/** x solving (XᵀX + λI)x = Xᵀy for the rows `at` of X (k columns), by Cholesky. Cost O(|at|·k² + k³). */
export function ridgeSolve(X: Matrix, at: readonly number[], y: readonly number[], lambda: number): Float64Array {
  const k = X.cols;
  const G = new Float64Array(k * k);
  const rhs = new Float64Array(k);
  for (let t = 0; t < at.length; t++) {
    const o = at[t] * k;
    for (let a = 0; a < k; a++) {
      const xa = X.data[o + a];
      rhs[a] += xa * y[t];
      for (let b = 0; b <= a; b++) G[a * k + b] += xa * X.data[o + b];
    }
  }
  let trace = 0;
  for (let a = 0; a < k; a++) trace += G[a * k + a];
  // λ = 0 (a ratio fit without weight decay): a ridge of 1e-10·tr(XᵀX)/k keeps the solve defined with fewer ratings than k.
  const ridge = lambda > 0 ? lambda : (1e-10 * trace) / Math.max(k, 1) || 1e-300;
  for (let a = 0; a < k; a++) G[a * k + a] += ridge;
  // Cholesky G = C Cᵀ (lower), then C z = rhs, Cᵀ x = z.
  for (let a = 0; a < k; a++) {
    for (let b = 0; b <= a; b++) {
      let s = G[a * k + b];
      for (let c = 0; c < b; c++) s -= G[a * k + c] * G[b * k + c];
      G[a * k + b] = a === b ? Math.sqrt(Math.max(s, 0)) : s / G[b * k + b];
    }
  }
  const x = new Float64Array(k);
  for (let a = 0; a < k; a++) {
    let s = rhs[a];
    for (let c = 0; c < a; c++) s -= G[a * k + c] * x[c];
    x[a] = s / G[a * k + a];
  }
  for (let a = k - 1; a >= 0; a--) {
    let s = x[a];
    for (let c = a + 1; c < k; c++) s -= G[c * k + a] * x[c];
    x[a] = s / G[a * k + a];
  }
  return x;
}

/** The ridge weight of a fold-in of one row (side 'row') or column with `count` ratings (docs/complete.md). */
export function foldInRidge(block: FoldInBlock, rule: FoldInRule, side: 'row' | 'col', count: number): number {
  switch (block.method) {
    case 'soft-impute':
      return block.lambda;
    case 'nuclear':
      return (rule.entries * block.lambda) / 2;
    case 'ratio': {
      if (block.weighting === 'frequency') return block.weightDecay * count;
      return (block.weightDecay * rule.entries) / (side === 'row' ? rule.rows : rule.cols);
    }
  }
}

/** A folded-in row (or column): its bias, its fallback bias and its low-rank factors (length k). */
interface FoldedRow {
  bias: number;
  fallbackBias: number;
  factors: Float64Array;
}

/**
 * Fold in one row (or column) from its ratings `values` at positions `at` of the other side: bias, then each block's
 * factors by a ridge solve (ratio: against its own other-side factors; soft-impute, nuclear: against the balanced
 * ones, mapped back to the stored basis by a triangular solve).
 */
function foldInRow(
  side: 'row' | 'col',
  at: readonly number[],
  values: readonly number[],
  parts: CompletionParts,
  rule: FoldInRule,
  balancedOf: (from: number, block: FoldInBlock) => Balanced,
): FoldedRow {
  const other = (b: Biases): Float64Array => (side === 'row' ? b.col : b.row);
  const biasOf = (b: Biases): number => {
    let s = 0;
    for (let t = 0; t < at.length; t++) s += values[t] - b.mean - other(b)[at[t]];
    return s / (at.length + b.lambda) || 0;
  };
  const bias = rule.center ? biasOf(parts.biases) : 0;
  const fallbackBias = biasOf(parts.fallback);
  const { biases } = parts;
  const resid = at.map((p, t) => values[t] - biases.mean - bias - other(biases)[p]);
  const k = parts.L.cols;
  const factors = new Float64Array(k);
  let from = 0;
  for (const block of rule.blocks) {
    const lambda = foldInRidge(block, rule, side, at.length);
    if (block.rank === 0) continue;
    if (block.method === 'ratio') {
      // The component's own factors: its row side is L_b/weight, its column side R_b.
      const X =
        side === 'row' ? columns(parts.R, from, block.rank, 1) : columns(parts.L, from, block.rank, 1 / block.weight);
      const x = ridgeSolve(X, at, resid, lambda);
      for (let c = 0; c < block.rank; c++) factors[from + c] = side === 'row' ? block.weight * x[c] : x[c];
    } else {
      const b = balancedOf(from, block);
      const x = ridgeSolve(side === 'row' ? b.B : b.A, at, resid, lambda);
      // Row: ℓ T_Rᵀ = x S^½ Qᵀ. Column: T_L ρᵀ = P S^½ xᵀ. Both an upper-triangular solve T z = y.
      const r = block.rank;
      const W = side === 'row' ? b.Q : b.P;
      const T = side === 'row' ? b.TR : b.TL;
      const y = new Float64Array(r);
      for (let a = 0; a < r; a++) {
        let z = 0;
        for (let c = 0; c < r; c++) z += W.data[a * r + c] * b.sqrtS[c] * x[c];
        y[a] = z;
      }
      let pivot = 0;
      for (let a = 0; a < r; a++) pivot = Math.max(pivot, Math.abs(T.data[a * r + a]));
      for (let a = r - 1; a >= 0; a--) {
        let z = y[a];
        for (let c = a + 1; c < r; c++) z -= T.data[a * r + c] * y[c];
        const d = T.data[a * r + a];
        // A zero column of the stored factors (soft-impute's s_c = 0 under its rank cap) carries nothing: left 0.
        y[a] = Math.abs(d) > 1e-12 * pivot ? z / d : 0;
      }
      for (let c = 0; c < r; c++) factors[from + c] = side === 'row' ? block.weight * y[c] : y[c];
    }
    from += block.rank;
  }
  return { bias, fallbackBias, factors };
}

/** The state with one row (or column) set to a folded-in one: replaced when `id` is known, else appended. */
function withRow(
  state: ModelState,
  side: 'row' | 'col',
  id: string,
  at: readonly number[],
  values: readonly number[],
  folded: FoldedRow,
): ModelState {
  const { parts, observed, info } = state;
  const ids = side === 'row' ? parts.rowIds : parts.colIds;
  const known = ids.indexOf(id);
  const pos = known >= 0 ? known : ids.length;
  const size = known >= 0 ? ids.length : ids.length + 1;
  const newIds = known >= 0 ? ids : [...ids, id];
  const grow = (x: Float64Array, v: number): Float64Array => {
    const out = new Float64Array(size);
    out.set(x.subarray(0, Math.min(x.length, size)));
    out[pos] = v;
    return out;
  };
  const growRows = (X: Matrix, row: Float64Array): Matrix => {
    const out = zeros(size, X.cols);
    out.data.set(X.data.subarray(0, Math.min(X.data.length, size * X.cols)));
    out.data.set(row, pos * X.cols);
    return out;
  };
  const setBias = (b: Biases, v: number): Biases =>
    side === 'row' ? { ...b, row: grow(b.row, v) } : { ...b, col: grow(b.col, v) };
  const shared = parts.biases === parts.fallback;
  const biases = setBias(parts.biases, folded.bias);
  const fallback = shared ? biases : setBias(parts.fallback, folded.fallbackBias);
  const newParts: CompletionParts = {
    rowIds: side === 'row' ? newIds : parts.rowIds,
    colIds: side === 'col' ? newIds : parts.colIds,
    biases,
    fallback,
    L: side === 'row' ? growRows(parts.L, folded.factors) : parts.L,
    R: side === 'col' ? growRows(parts.R, folded.factors) : parts.R,
    clip: parts.clip,
  };
  // The training entries: this row's (or column's) old ones out, the given ones in.
  const mine = side === 'row' ? observed.rows : observed.cols;
  let keep = 0;
  for (let t = 0; t < mine.length; t++) if (mine[t] !== pos) keep++;
  const total = keep + at.length;
  const rows = new Int32Array(total);
  const cols = new Int32Array(total);
  const vals = new Float64Array(total);
  let q = 0;
  for (let t = 0; t < mine.length; t++) {
    if (mine[t] === pos) continue;
    rows[q] = observed.rows[t];
    cols[q] = observed.cols[t];
    vals[q++] = observed.values[t];
  }
  for (let t = 0; t < at.length; t++, q++) {
    rows[q] = side === 'row' ? pos : at[t];
    cols[q] = side === 'row' ? at[t] : pos;
    vals[q] = values[t];
  }
  const shape: [number, number] = [newParts.rowIds.length, newParts.colIds.length];
  return {
    parts: newParts,
    observed: { shape, rows, cols, values: vals },
    info: { ...info, foldedIn: info.foldedIn + 1 },
  };
}

/** One typed-array section of a saved model. */
interface Section {
  name: string;
  type: 'f64' | 'i32';
  data: Float64Array | Int32Array;
}

/** The header of a saved model (JSON): everything but the arrays, and the list of sections that follow. */
interface SavedHeader {
  format: 'mcomplete-model';
  rows: number;
  cols: number;
  rank: number;
  entries: number;
  rowIds: string[];
  colIds: string[];
  clip: [number, number] | null;
  sharedBiases: boolean;
  fallbackRule: string;
  info: ModelInfo;
  sections: { name: string; type: 'f64' | 'i32'; length: number }[];
}

/** Bytes up to the next multiple of 8. */
const pad8 = (x: number): number => Math.ceil(x / 8) * 8;

/**
 * The saved-model bytes of a state: magic (8 bytes), format version (uint32 LE), header length H (uint32 LE), the
 * header (UTF-8 JSON, zero-padded to a multiple of 8), the sections it lists (little-endian float64 or int32 arrays,
 * each starting at a multiple of 8, zero-padded), then the SHA-256 of every byte before it. Cost O(size).
 */
function encodeModel(state: ModelState, input: SavedInput | null): Uint8Array {
  const { parts, observed, info } = state;
  const shared = parts.biases === parts.fallback;
  const sections: Section[] = [
    {
      name: 'scalars',
      type: 'f64',
      data: Float64Array.of(parts.biases.mean, parts.biases.lambda, parts.fallback.mean, parts.fallback.lambda),
    },
    { name: 'biases.row', type: 'f64', data: parts.biases.row },
    { name: 'biases.col', type: 'f64', data: parts.biases.col },
    ...(shared
      ? []
      : [
          { name: 'fallback.row', type: 'f64' as const, data: parts.fallback.row },
          { name: 'fallback.col', type: 'f64' as const, data: parts.fallback.col },
        ]),
    { name: 'L', type: 'f64', data: parts.L.data },
    { name: 'R', type: 'f64', data: parts.R.data },
    { name: 'observed.rows', type: 'i32', data: Int32Array.from(observed.rows) },
    { name: 'observed.cols', type: 'i32', data: Int32Array.from(observed.cols) },
    { name: 'observed.values', type: 'f64', data: Float64Array.from(observed.values) },
  ];
  const header: SavedHeader = {
    format: 'mcomplete-model',
    rows: parts.rowIds.length,
    cols: parts.colIds.length,
    rank: parts.L.cols,
    entries: observed.values.length,
    rowIds: [...parts.rowIds],
    colIds: [...parts.colIds],
    clip: parts.clip ? [parts.clip[0], parts.clip[1]] : null,
    sharedBiases: shared,
    fallbackRule: FALLBACK_RULE,
    info: { ...info, input },
    sections: sections.map((s) => ({ name: s.name, type: s.type, length: s.data.length })),
  };
  const json = new TextEncoder().encode(JSON.stringify(header));
  let size = 16 + pad8(json.length);
  for (const s of sections) size += pad8(s.data.byteLength);
  const out = new Uint8Array(size + CHECKSUM_BYTES);
  out.set(MODEL_MAGIC, 0);
  const view = new DataView(out.buffer);
  view.setUint32(8, MODEL_FORMAT_VERSION, true);
  view.setUint32(12, json.length, true);
  out.set(json, 16);
  let at = 16 + pad8(json.length);
  for (const s of sections) {
    out.set(littleEndianBytes(s.data), at);
    at += pad8(s.data.byteLength);
  }
  out.set(createSha256().update(out.subarray(0, size)).digest(), size);
  return out;
}

/** A saved model that cannot be read: one line saying why (wrong file, other version, truncated, altered). */
function bad(problem: string): never {
  throw new RangeError(`not a usable mcomplete model: ${problem}`);
}

/**
 * The model saved in `bytes` (FittedModel.save, `mcomplete complete --save-model`), checked before any use: the
 * magic, the format version, the SHA-256 over every byte (a truncated or altered file is refused, never answered
 * from), then the header against the sections. Its predictions equal the saved model's bit for bit. Every problem
 * is one RangeError line. Cost O(size).
 */
export function loadModel(bytes: Uint8Array): FittedModel {
  if (!(bytes instanceof Uint8Array)) bad('expected the saved bytes as a Uint8Array');
  if (bytes.length < MODEL_MAGIC.length || MODEL_MAGIC.some((b, i) => bytes[i] !== b))
    bad('the file does not start with the mcomplete model signature (is it a model saved by mcomplete?)');
  if (bytes.length < 16 + CHECKSUM_BYTES) bad(`the file is truncated (${bytes.length} bytes)`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = view.getUint32(8, true);
  if (version !== MODEL_FORMAT_VERSION)
    bad(
      `format version ${version}, but this mcomplete reads version ${MODEL_FORMAT_VERSION} (save it again with this version)`,
    );
  const size = bytes.length - CHECKSUM_BYTES;
  const digest = createSha256().update(bytes.subarray(0, size)).digest();
  if (digest.some((b, i) => bytes[size + i] !== b))
    bad('the checksum does not match: the file is truncated or was altered after it was saved');
  const headerLength = view.getUint32(12, true);
  if (16 + headerLength > size) bad('the header runs past the end of the file');
  let header: SavedHeader;
  try {
    header = JSON.parse(
      new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(16, 16 + headerLength)),
    ) as SavedHeader;
  } catch {
    bad('the header is not valid JSON');
  }
  if (header?.format !== 'mcomplete-model') bad('the header does not describe an mcomplete model');
  const { rows: m, cols: n, rank: k, entries } = header;
  const expected: Record<string, [number, 'f64' | 'i32']> = {
    scalars: [4, 'f64'],
    'biases.row': [m, 'f64'],
    'biases.col': [n, 'f64'],
    L: [m * k, 'f64'],
    R: [n * k, 'f64'],
    'observed.rows': [entries, 'i32'],
    'observed.cols': [entries, 'i32'],
    'observed.values': [entries, 'f64'],
    ...(header.sharedBiases ? {} : { 'fallback.row': [m, 'f64'], 'fallback.col': [n, 'f64'] }),
  };
  if (
    !Array.isArray(header.rowIds) ||
    header.rowIds.length !== m ||
    !Array.isArray(header.colIds) ||
    header.colIds.length !== n
  )
    bad('the header lists a different number of ids than its shape');
  const data = new Map<string, Float64Array | Int32Array>();
  let at = 16 + pad8(headerLength);
  for (const s of header.sections ?? []) {
    const want = expected[s.name];
    if (!want || want[0] !== s.length || want[1] !== s.type)
      bad(`section ${JSON.stringify(s.name)} does not fit the header`);
    const bytesOf = s.length * (s.type === 'f64' ? 8 : 4);
    if (at + bytesOf > size) bad(`section ${JSON.stringify(s.name)} runs past the end of the file`);
    data.set(s.name, readLittleEndian(bytes, at, s.length, s.type));
    at += pad8(bytesOf);
  }
  if (at !== size) bad('the sections do not fill the file');
  for (const name of Object.keys(expected)) if (!data.has(name)) bad(`section ${JSON.stringify(name)} is missing`);
  const get = (name: string): Float64Array => data.get(name) as Float64Array;
  const rowsAt = data.get('observed.rows') as Int32Array;
  const colsAt = data.get('observed.cols') as Int32Array;
  for (let t = 0; t < entries; t++)
    if (!(rowsAt[t] >= 0 && rowsAt[t] < m && colsAt[t] >= 0 && colsAt[t] < n))
      bad(`training entry ${t} is outside the matrix`);
  const scalars = get('scalars');
  const biases: Biases = { mean: scalars[0], lambda: scalars[1], row: get('biases.row'), col: get('biases.col') };
  const fallback: Biases = header.sharedBiases
    ? biases
    : { mean: scalars[2], lambda: scalars[3], row: get('fallback.row'), col: get('fallback.col') };
  const matrix = (rows: number, d: Float64Array): Matrix => ({ rows, cols: k, data: d });
  const parts: CompletionParts = {
    rowIds: header.rowIds,
    colIds: header.colIds,
    biases,
    fallback,
    L: matrix(m, get('L')),
    R: matrix(n, get('R')),
    clip: header.clip ? [header.clip[0], header.clip[1]] : null,
  };
  const observed: Observations = { shape: [m, n], rows: rowsAt, cols: colsAt, values: get('observed.values') };
  return makeFittedModel({ parts, observed, info: header.info });
}
