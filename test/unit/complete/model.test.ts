import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { complete, loadModel, MODEL_FORMAT_VERSION, type FittedModel } from '../../../src/complete/index.ts';
import { foldInRidge } from '../../../src/complete/model.ts';
import { fitBiases } from '../../../src/complete/biases.ts';
import { parseTriplets } from '../../../src/data/formats/triplets.ts';
import { labelObservations, type LabeledObservations } from '../../../src/data/labels.ts';
import { createSha256, sha256Hex } from '../../../src/data/fingerprint.ts';
import { zeros, type Matrix } from '../../../src/linalg/matrix.ts';
import { svd } from '../../../src/linalg/svd.ts';
import { ratingsProblem } from '../../helpers/ratings.ts';

const problem = ratingsProblem({ m: 40, n: 30, rank: 2, p: 0.6, noise: 0.1, seed: 5, offset: 3 });
const data = parseTriplets(problem.observedCsv, { file: 'o.csv', columns: ['user', 'item', 'rating'] });
const softImpute = complete(data, { method: 'soft-impute', clip: false });
const ratio = complete(data, { method: 'ratio', seed: 1 });

/** Every cell's prediction, with and without keepObserved, and a few unknown ids (the fallback). */
function everyPrediction(model: FittedModel): number[] {
  const out: number[] = [];
  for (const keepObserved of [false, true]) {
    for (let i = 0; i < model.rowIds.length; i++)
      for (let j = 0; j < model.colIds.length; j++) out.push(model.predictAt(i, j, { keepObserved }));
  }
  const p = model.predictMany(['nobody', model.rowIds[0], 'nobody'], [model.colIds[1], 'nothing', 'nothing']);
  return [...out, ...p.values];
}

test('save → load: every prediction (observed cells kept or not, unknown ids) equal bit for bit', () => {
  for (const model of [softImpute, ratio]) {
    const bytes = model.save();
    const back = loadModel(bytes);
    const a = everyPrediction(model);
    const b = everyPrediction(back);
    assert.equal(a.length, b.length);
    for (let t = 0; t < a.length; t++) assert.ok(Object.is(a[t], b[t]), `prediction ${t}: ${a[t]} vs ${b[t]}`);
    assert.deepEqual(back.rowIds, model.rowIds);
    assert.deepEqual(back.info.foldIn, model.info.foldIn);
    assert.equal(back.info.fingerprint, model.info.fingerprint);
    assert.match(back.info.fingerprint, /^sha256:[0-9a-f]{64}$/);
    assert.deepEqual(back.recommend(model.rowIds[2], { top: 5 }), model.recommend(model.rowIds[2], { top: 5 }));
    // Saving the loaded model gives the same bytes.
    assert.deepEqual(back.save(), bytes);
  }
});

test('the training data fingerprint changes with any entry and not with a refit of the same data', () => {
  const again = complete(data, { method: 'soft-impute', clip: false, seed: 3 });
  assert.equal(again.info.fingerprint, softImpute.info.fingerprint);
  const obs = data.observations;
  const values = Float64Array.from(obs.values);
  values[7] += 1e-9;
  const other = complete(
    { ...data, observations: { ...obs, values } },
    { method: 'soft-impute', clip: false, validation: 0.1 },
  );
  assert.notEqual(other.info.fingerprint, softImpute.info.fingerprint);
});

test('sha256 matches node:crypto on lengths around the 64-byte block, fed whole and in pieces', () => {
  for (const length of [0, 1, 55, 56, 63, 64, 65, 119, 120, 128, 1000]) {
    const bytes = Uint8Array.from({ length }, (_, i) => (i * 131 + length) & 255);
    const want = createHash('sha256').update(bytes).digest('hex');
    assert.equal(sha256Hex(bytes), want, `length ${length}`);
    const h = createSha256();
    for (let at = 0; at < length; at += 17) h.update(bytes.subarray(at, at + 17));
    assert.equal(Buffer.from(h.digest()).toString('hex'), want, `length ${length} in pieces`);
  }
});

test('a wrong file, another format version, a truncated or an altered model: one clear error, never a model', () => {
  const bytes = softImpute.save();
  const refused = (b: Uint8Array, pattern: RegExp, what: string): void => {
    assert.throws(
      () => loadModel(b),
      (err: Error) => err instanceof RangeError && pattern.test(err.message) && !err.message.includes('\n'),
      what,
    );
  };
  refused(new TextEncoder().encode('user,item,rating\n1,2,3\n'), /signature/, 'a CSV file');
  refused(new Uint8Array(0), /signature/, 'an empty file');
  const other = bytes.slice();
  new DataView(other.buffer).setUint32(8, MODEL_FORMAT_VERSION + 1, true);
  refused(other, /format version 2, but this mcomplete reads version 1/, 'another version');
  for (const cut of [9, 16, 40, Math.floor(bytes.length / 2), bytes.length - 33, bytes.length - 1])
    refused(bytes.subarray(0, cut), /truncated/, `cut at ${cut}`);
  // One flipped bit anywhere after the version: header, padding, every section, the checksum itself.
  for (let at = 12; at < bytes.length; at += 97) {
    const altered = bytes.slice();
    altered[at] ^= 0x10;
    refused(altered, /checksum does not match|truncated/, `bit flipped at byte ${at}`);
  }
  const longer = new Uint8Array(bytes.length + 8);
  longer.set(bytes);
  refused(longer, /checksum/, 'bytes appended');
});

/** mean + b_u + c_j + L_u·R_j, by loops (the score recommend ranks by). */
function score(model: FittedModel, i: number, j: number): number {
  const { biases, L, R } = model.parts;
  let z = 0;
  for (let c = 0; c < L.cols; c++) z += L.data[i * L.cols + c] * R.data[j * L.cols + c];
  return biases.mean + biases.row[i] + biases.col[j] + z;
}

test('recommend: the top items by score among the unseen ones with enough support, best first, as a brute-force scan', () => {
  const support = ratio.itemSupport();
  for (const [u, options] of [
    [0, { top: 5 }],
    [7, { top: 3, minSupport: 25 }],
    [11, { top: 4, excludeSeen: false }],
  ] as const) {
    const user = ratio.rowIds[u];
    const seen = new Set(ratio.seenItems(user));
    const excludeSeen = !('excludeSeen' in options) || options.excludeSeen;
    const minSupport = 'minSupport' in options ? options.minSupport : 0;
    const brute = ratio.colIds
      .map((item, j) => ({ item, score: score(ratio, u, j), j }))
      .filter((x) => !(excludeSeen && seen.has(x.item)) && support[x.j] >= minSupport)
      .sort((a, b) => b.score - a.score)
      .slice(0, options.top);
    const got = ratio.recommend(user, options);
    assert.deepEqual(
      got.map((r) => r.item),
      brute.map((r) => r.item),
      `user ${user}`,
    );
    for (let t = 0; t < got.length; t++) assert.ok(Math.abs(got[t].score - brute[t].score) < 1e-12);
    if (excludeSeen) assert.ok(got.every((r) => !seen.has(r.item)));
  }
  assert.ok(
    ratio.itemSupport().some((c) => c < 25),
    'minSupport 25 leaves some item out',
  );
  const many = ratio.recommendMany(ratio.rowIds, { top: 3 });
  assert.deepEqual(many[9], ratio.recommend(ratio.rowIds[9], { top: 3 }));
  assert.throws(() => ratio.recommend('nobody'), /recommend: unknown user \(row\) id "nobody"/);
  assert.throws(() => ratio.recommend(ratio.rowIds[0], { top: 0 }), /top must be an integer >= 1/);
});

/** W = L·Rᵀ as a dense matrix. */
function product(L: Matrix, R: Matrix): Matrix {
  const W = zeros(L.rows, R.rows);
  for (let i = 0; i < L.rows; i++)
    for (let j = 0; j < R.rows; j++) {
      let z = 0;
      for (let c = 0; c < L.cols; c++) z += L.data[i * L.cols + c] * R.data[j * L.cols + c];
      W.data[i * R.rows + j] = z;
    }
  return W;
}

/** V S^½ (n×r, r = the singular values above 1e-9 s₁) from the dense SVD of W: an independent balanced item side. */
function balancedItems(W: Matrix): { B: Matrix; A: Matrix } {
  const { U, s, V } = svd(W);
  const keep = [...s.keys()].filter((c) => s[c] > 1e-9 * Math.max(...s));
  const side = (X: Matrix): Matrix => {
    const out = zeros(X.rows, keep.length);
    for (let i = 0; i < X.rows; i++)
      keep.forEach((c, q) => (out.data[i * keep.length + q] = X.data[i * X.cols + c] * Math.sqrt(s[c])));
    return out;
  };
  return { A: side(U), B: side(V) };
}

test('similarItems: cosine on the balanced item factors, as the dense SVD of L·Rᵀ gives them, and blind to the gauge', () => {
  const { B } = balancedItems(product(ratio.parts.L, ratio.parts.R));
  const r = B.cols;
  const row = (j: number): number[] => Array.from(B.data.subarray(j * r, j * r + r));
  const cos = (a: number[], b: number[]): number =>
    a.reduce((s, x, c) => s + x * b[c], 0) / Math.hypot(...a) / Math.hypot(...b);
  const item = 4;
  const got = ratio.similarItems(ratio.colIds[item], 6);
  const brute = ratio.colIds
    .map((id, j) => ({ id, s: cos(row(j), row(item)) }))
    .filter((x) => x.id !== ratio.colIds[item])
    .sort((a, b) => b.s - a.s)
    .slice(0, 6);
  assert.deepEqual(
    got.map((x) => x.item),
    brute.map((x) => x.id),
  );
  for (let t = 0; t < 6; t++) assert.ok(Math.abs(got[t].score - brute[t].s) < 1e-9);
  assert.ok(!got.some((x) => x.item === ratio.colIds[item]));
});

/** The ratings of row i of a model's training entries, as [item id, value] pairs. */
function ratingsOf(model: FittedModel, i: number): [string, number][] {
  const out: [string, number][] = [];
  const o = model.observed;
  for (let t = 0; t < o.values.length; t++) if (o.rows[t] === i) out.push([model.colIds[o.cols[t]], o.values[t]]);
  return out;
}

test('foldIn solves the normal equations (BᵀB + λI)x = Bᵀr̃ exactly, B the balanced item side of the dense SVD', () => {
  const model = softImpute;
  const i = 6;
  const ratings = ratingsOf(model, i).slice(0, 9);
  const folded = model.foldIn('new user', ratings);
  assert.equal(folded.rowIds.length, model.rowIds.length + 1);
  const u = folded.rowIds.length - 1;
  // The folded row's low-rank part at every item, z_j = prediction − mean − b_u − c_j (no clip in this model).
  const { biases } = folded.parts;
  const n = model.colIds.length;
  const z = Array.from({ length: n }, (_, j) => folded.predictAt(u, j) - biases.mean - biases.row[u] - biases.col[j]);
  const { B } = balancedItems(product(model.parts.L, model.parts.R));
  const r = B.cols;
  // x from z = B x (B has orthogonal columns: x_c = Σ_j B_jc z_j / Σ_j B_jc²).
  const x = Array.from({ length: r }, (_, c) => {
    let num = 0;
    let den = 0;
    for (let j = 0; j < n; j++) [num, den] = [num + B.data[j * r + c] * z[j], den + B.data[j * r + c] ** 2];
    return num / den;
  });
  const block = model.info.foldIn.blocks[0];
  const lambda = foldInRidge(block, model.info.foldIn, 'row', ratings.length);
  assert.equal(lambda, model.report.refit.lambda, "soft-impute folds in with the refit's λ");
  const at = ratings.map(([id]) => model.colIds.indexOf(id));
  const resid = ratings.map(([, v], t) => v - biases.mean - biases.row[u] - biases.col[at[t]]);
  let worst = 0;
  let scale = 0;
  for (let a = 0; a < r; a++) {
    let lhs = lambda * x[a];
    let rhs = 0;
    for (let t = 0; t < at.length; t++) {
      let bx = 0;
      for (let c = 0; c < r; c++) bx += B.data[at[t] * r + c] * x[c];
      lhs += B.data[at[t] * r + a] * bx;
      rhs += B.data[at[t] * r + a] * resid[t];
    }
    worst = Math.max(worst, Math.abs(lhs - rhs));
    scale = Math.max(scale, Math.abs(rhs));
  }
  assert.ok(worst <= 1e-10 * scale, `normal equations off by ${worst} (scale ${scale})`);
  // Every other row is untouched, bit for bit.
  for (let i2 = 0; i2 < model.rowIds.length; i2++)
    for (let j = 0; j < n; j++) assert.ok(Object.is(folded.predictAt(i2, j), model.predictAt(i2, j)));
  assert.deepEqual(folded.seenItems('new user').sort(), ratings.map(([id]) => id).sort());
});

test("foldIn's bias is the biases' exact row update: an existing user's own ratings give back its fitted bias", () => {
  const model = complete(data, { method: 'soft-impute', clip: false, center: true, biasLambdas: [3] });
  const { biases } = model.parts;
  // The fitted row biases come from fitBiases, whose last half-sweep is this very row update.
  assert.ok(biases.lambda === 3 || biases.lambda === Infinity);
  for (const i of [0, 13, 27]) {
    const folded = model.foldIn(model.rowIds[i], ratingsOf(model, i));
    assert.ok(Math.abs(folded.parts.biases.row[i] - biases.row[i]) <= 1e-12, `row ${i}`);
    const fb = fitBiases(model.observed, model.parts.fallback.lambda);
    assert.ok(Math.abs(folded.parts.fallback.row[i] - fb.row[i]) <= 1e-12);
  }
});

test('foldIn of a user against a fit without them comes close to the full refit with their ratings added', () => {
  // The refit is soft-impute at a fixed λ, no centering, no clip: its objective is ½||P_Ω(M − Z)||² + λ||Z||_*, and a
  // converged refit's row of the user is the ridge solution against its own balanced item side. A fit without the
  // user has an item side that lacks one user's ratings out of 40, so the fold-in's row differs from the refit's
  // only by that (and by the ALS stop rule). The fallback (the model without the user: mean + item bias) knows
  // nothing of the user: the fold-in must recover most of the refit's departure from it.
  const obs = data.observations;
  const target = 17;
  const keep = (t: number): boolean => obs.rows[t] !== target;
  const all = labeledFrom(data, () => true);
  const without = labeledFrom(data, keep);
  const settings = { method: 'soft-impute', lambdas: [0.5], center: false, clip: false, seed: 2 } as const;
  const full = complete(all, settings);
  const partial = complete(without, settings);
  const user = data.rowIds[target];
  const ratings: [string, number][] = [];
  for (let t = 0; t < obs.values.length; t++) if (!keep(t)) ratings.push([data.colIds[obs.cols[t]], obs.values[t]]);
  const folded = partial.foldIn(user, ratings);
  let foldErr = 0;
  let fallbackErr = 0;
  for (const item of data.colIds) {
    const want = full.predict(user, item);
    foldErr += (folded.predict(user, item) - want) ** 2;
    fallbackErr += (partial.predict(user, item) - want) ** 2;
  }
  assert.ok(foldErr < 0.05 * fallbackErr, `fold-in error ${foldErr} against the fallback's ${fallbackErr}`);
  // Folding the user into the full refit itself gives back (nearly) its own row: the refit's rows are ridge
  // solutions against its item side up to the ALS stop rule (relative change² < 1e-5), an error an order of magnitude
  // below one user's influence on the item side.
  const refolded = full.foldIn(user, ratings);
  let selfErr = 0;
  for (const item of data.colIds) selfErr += (refolded.predict(user, item) - full.predict(user, item)) ** 2;
  assert.ok(selfErr < 0.1 * foldErr, `self ${selfErr}, fold ${foldErr}`);
});

/** The labeled data restricted to the entries `keep` accepts (ids relabeled from what remains). */
function labeledFrom(d: LabeledObservations, keep: (t: number) => boolean): LabeledObservations {
  const o = d.observations;
  const rows: string[] = [];
  const cols: string[] = [];
  const values: number[] = [];
  for (let t = 0; t < o.values.length; t++) {
    if (!keep(t)) continue;
    rows.push(d.rowIds[o.rows[t]]);
    cols.push(d.colIds[o.cols[t]]);
    values.push(o.values[t]);
  }
  return labelObservations(rows, cols, values);
}

test('foldInItem solves the same normal equations on the balanced user side; a new item can then be recommended', () => {
  const model = softImpute;
  const ratings: [string, number][] = model.rowIds.slice(0, 12).map((id, t) => [id, 3 + Math.sin(t)]);
  const folded = model.foldInItem('new item', ratings);
  const j = folded.colIds.length - 1;
  const { biases } = folded.parts;
  const m = model.rowIds.length;
  const z = Array.from({ length: m }, (_, i) => folded.predictAt(i, j) - biases.mean - biases.row[i] - biases.col[j]);
  const { A } = balancedItems(product(model.parts.L, model.parts.R));
  const r = A.cols;
  const x = Array.from({ length: r }, (_, c) => {
    let num = 0;
    let den = 0;
    for (let i = 0; i < m; i++) [num, den] = [num + A.data[i * r + c] * z[i], den + A.data[i * r + c] ** 2];
    return num / den;
  });
  const lambda = model.report.refit.lambda;
  const at = ratings.map(([id]) => model.rowIds.indexOf(id));
  const resid = ratings.map(([, v], t) => v - biases.mean - biases.row[at[t]] - biases.col[j]);
  for (let a = 0; a < r; a++) {
    let lhs = lambda * x[a];
    let rhs = 0;
    for (let t = 0; t < at.length; t++) {
      let ax = 0;
      for (let c = 0; c < r; c++) ax += A.data[at[t] * r + c] * x[c];
      lhs += A.data[at[t] * r + a] * ax;
      rhs += A.data[at[t] * r + a] * resid[t];
    }
    assert.ok(Math.abs(lhs - rhs) <= 1e-10 * Math.max(1, Math.abs(rhs)), `equation ${a}: ${lhs} vs ${rhs}`);
  }
  const recs = folded.recommend(model.rowIds[30], { top: folded.colIds.length });
  assert.ok(recs.some((x) => x.item === 'new item'));
  assert.equal(folded.itemSupport()[j], ratings.length);
});

test('fold-in refuses unknown ids, repeated items and values that are not finite numbers', () => {
  assert.throws(
    () => softImpute.foldIn('u', [['no such item', 3]]),
    /foldIn: unknown item \(column\) id "no such item"/,
  );
  const item = softImpute.colIds[0];
  assert.throws(
    () =>
      softImpute.foldIn('u', [
        [item, 3],
        [item, 4],
      ]),
    /rated twice/,
  );
  assert.throws(() => softImpute.foldIn('u', [[item, Number.NaN]]), /not a finite number/);
  assert.throws(() => softImpute.foldInItem('i', [['nobody', 1]]), /foldInItem: unknown user \(row\) id "nobody"/);
});

test('the ratio fit folds in on its own item factors with ridge ω·|J| (frequency) or ω·|Ω|/m (none)', () => {
  const rule = { center: true, blocks: [], entries: 1000, rows: 50, cols: 20 };
  const block = {
    method: 'ratio',
    rank: 3,
    weight: 1,
    lambda: 3e-3,
    weightDecay: 0.2,
    weighting: 'frequency',
  } as const;
  assert.equal(foldInRidge(block, rule, 'row', 7), 0.2 * 7);
  assert.equal(foldInRidge({ ...block, weighting: 'none' }, rule, 'row', 7), (0.2 * 1000) / 50);
  assert.equal(foldInRidge({ ...block, weighting: 'none' }, rule, 'col', 7), (0.2 * 1000) / 20);
  assert.equal(foldInRidge({ ...block, method: 'nuclear', lambda: 0.01 }, rule, 'row', 7), (1000 * 0.01) / 2);
});
