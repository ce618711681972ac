// Probes of single gradient settings on complete()'s own fit/validation split of a MovieLens 90/10 split (the same
// split, bias ridge, residual and seed as complete() and bench/movielens.ts), with early stopping on validation as in
// tuning, and the least-squares blend of each with soft-impute's best fit. Not a benchmark: a tool to explore the
// grid. Run: SEED=0 MODE=si,ratio VARIANTS='[{"rank":20,"lambda":0.003,"wdf":0.6,"weighting":"none","lr":0.01,
// "steps":1500}]' node --import tsx bench/movielens-probe.ts  (wdf: ω as a fraction of the residual's mean square;
// MODE without "si" skips soft-impute). "test(fit-split)" scores the fit-split model on the test split, for
// orientation only: nothing is chosen on it.
import { fileURLToPath } from 'node:url';
import { readFileSync } from 'node:fs';
import { parseTriplets } from '../src/data/formats/triplets.ts';
import { splitObservations } from '../src/data/split.ts';
import { residualObservations } from '../src/complete/biases.ts';
import { makeEvaluator, tuneBiases, tuneSoftImpute, type Trial } from '../src/complete/tune.ts';
import { fitGradient } from '../src/complete/factored-fit.ts';
import { softImputeLambdas } from '../src/complete/grid.ts';
import { sparseSpectralNorm } from '../src/linalg/sparse.ts';
import { setBackend } from '../src/linalg/backend.ts';
import { chooseBackend } from '../src/linalg/native.ts';
import { clone, type Matrix } from '../src/linalg/matrix.ts';
setBackend(chooseBackend());
const seed = Number(process.env.SEED ?? 0);
const file = parseTriplets(
  readFileSync(fileURLToPath(new URL('../../shared/data/movielens-small/ratings.csv', import.meta.url)), 'utf8'),
  { file: 'r', columns: ['userId', 'movieId', 'rating'] },
);
const { train, heldOut: test } = splitObservations(file.observations, 0.1, seed, 'test');
const { train: fit, heldOut: val } = splitObservations(train, 0.1, seed, 'validation');
const clip: [number, number] = [0.5, 5];
const bias = tuneBiases(fit, val, [0, 1, 2, 5, 10, 20, 50], clip);
const b = bias.best.b;
const resid = residualObservations(fit, b);
let ms = 0;
for (const v of resid.values) ms += v * v;
ms /= resid.values.length;
const evaluate = makeEvaluator(fit, val, b, clip);
const evalTest = makeEvaluator(fit, test, b, clip);
const tally = { done: 0, total: 1, report: () => {} };
console.log('biases', bias.best.lambda, bias.best.validationRMSE.toFixed(4), 'meanSquare', ms.toFixed(4));
function lowrank(obs: typeof val, L: Matrix, R: Matrix): Float64Array {
  const k = L.cols;
  const out = new Float64Array(obs.values.length);
  for (let t = 0; t < out.length; t++) {
    let z = 0;
    for (let c = 0; c < k; c++) z += L.data[obs.rows[t] * k + c] * R.data[obs.cols[t] * k + c];
    out[t] = z;
  }
  return out;
}
const fits: Record<string, { L: Matrix; R: Matrix; v: number }> = {};
const mode = process.env.MODE ?? 'si,ratio';
if (mode.includes('si')) {
  const t0 = performance.now();
  const lm = sparseSpectralNorm(resid, { seed });
  const bestFit = {
    validationRMSE: Infinity,
    trial: null as Trial | null,
    L: null as Matrix | null,
    R: null as Matrix | null,
  };
  const r = tuneSoftImpute(resid, [Number(process.env.SIRANK ?? 20)], softImputeLambdas(undefined, lm), lm, {
    seed,
    stopEarly: true,
    evaluate,
    tally,
    bestFit,
  });
  fits.si = { L: bestFit.L!, R: bestFit.R!, v: bestFit.validationRMSE };
  console.log(
    'si',
    bestFit.validationRMSE.toFixed(4),
    'test(fit-split model)',
    evalTest(bestFit.L, bestFit.R).toFixed(4),
    r.best?.trial.lambda,
    ((performance.now() - t0) / 1000).toFixed(1),
    's',
  );
}
const variants = JSON.parse(process.env.VARIANTS ?? '[{"rank":20,"lambda":0.01,"wdf":0.1,"lr":0.01,"steps":1000}]');
for (const [q, vr] of variants.entries()) {
  const t0 = performance.now();
  let best = Infinity,
    bestStep = 0,
    since = 0;
  let A: Matrix | null = null,
    B: Matrix | null = null;
  const res = fitGradient(
    resid,
    {
      method: vr.method ?? 'ratio',
      rank: vr.rank,
      lambda: vr.lambda,
      nuclearWeight: 0,
      weightDecay: vr.wdf * ms,
      decay: 'loss',
      weighting: vr.weighting ?? 'frequency',
      lr: vr.lr,
      initScale: vr.init ?? 0.01,
      seed,
      steps: vr.steps,
    },
    {
      evalEvery: vr.evalEvery ?? 25,
      onEvaluate: ({ step, model }) => {
        const e = evaluate(model.A, model.B);
        if (e < best) {
          best = e;
          bestStep = step;
          since = 0;
          A = clone(model.A);
          B = clone(model.B);
        } else since++;
        return since >= (vr.patience ?? 8);
      },
    },
  );
  fits['v' + q] = { L: A!, R: B!, v: best };
  console.log(
    'variant',
    JSON.stringify(vr),
    'val',
    best.toFixed(4),
    'step',
    bestStep,
    'ran',
    res.iterations,
    'test(fit-split)',
    evalTest(A, B).toFixed(4),
    ((performance.now() - t0) / 1000).toFixed(1),
    's',
  );
}
// blends of si with each variant
if (fits.si)
  for (const key of Object.keys(fits).filter((k) => k !== 'si')) {
    const z1 = lowrank(val, fits[key].L, fits[key].R),
      z2 = lowrank(val, fits.si.L, fits.si.R);
    // base prediction
    let num = 0,
      den = 0;
    const base = new Float64Array(val.values.length);
    for (let t = 0; t < base.length; t++) {
      base[t] = b.mean + b.row[val.rows[t]] + b.col[val.cols[t]];
      const d = z1[t] - z2[t];
      num += d * (val.values[t] - base[t] - z2[t]);
      den += d * d;
    }
    const a = Math.min(1, Math.max(0, num / den));
    const cat = (X: Matrix, Y: Matrix, wa: number, wb: number): Matrix => {
      const k = X.cols + Y.cols;
      const out = { rows: X.rows, cols: k, data: new Float64Array(X.rows * k) } as Matrix;
      for (let i = 0; i < X.rows; i++) {
        for (let c = 0; c < X.cols; c++) out.data[i * k + c] = wa * X.data[i * X.cols + c];
        for (let c = 0; c < Y.cols; c++) out.data[i * k + X.cols + c] = wb * Y.data[i * Y.cols + c];
      }
      return out;
    };
    const L = cat(fits[key].L, fits.si.L, a, 1 - a),
      R = cat(fits[key].R, fits.si.R, 1, 1);
    console.log(
      'blend',
      key,
      'alpha',
      a.toFixed(3),
      'val',
      evaluate(L, R).toFixed(4),
      'test(fit-split)',
      evalTest(L, R).toFixed(4),
    );
  }
