// Cost per step of every named optimizer against Adam's, depth-1 W + L*/F at n = 100, m = 2000, on the
// native backend when built: a whole training step (startTrain) and the optimizer's transform alone, as ratios
// to Adam. Rounds are interleaved (one block of steps per optimizer per round) and the median round is reported, so
// load on a shared machine hits every optimizer alike.
// Usage: node --import tsx bench/optimizers.bench.ts [n] [steps per block] [rounds]
import { syntheticProblem } from '../src/data/synthetic.ts';
import { setBackend } from '../src/linalg/backend.ts';
import { chooseBackend } from '../src/linalg/native.ts';
import { namedOptimizer, OPTIMIZER_NAMES, type OptimizerName } from '../src/optim/index.ts';
import { startTrain } from '../src/solver/train.ts';
import { mulberry32 } from '../test/helpers/random.ts';

const n = Number(process.argv[2] ?? 100);
const block = Number(process.argv[3] ?? 200);
const rounds = Number(process.argv[4] ?? 5);
const backend = chooseBackend();
setBackend(backend);
const samples = Math.round(0.2 * n * n);
const p = syntheticProblem({ n, rank: 5, samples, seed: 0 });
// Learning rates small enough that no optimizer diverges or stops in the measured steps (cost does not depend on lr).
const lr = 1e-4;

const trainers = new Map(
  OPTIMIZER_NAMES.map((name) => [
    name,
    startTrain(p.observations, {
      depth: 1,
      penalty: 'ratio',
      lambda: 1e-4,
      optimizer: namedOptimizer(name, { lr }),
      initScale: 1e-3,
      seed: 0,
      maxIters: 10 * rounds * block + 100,
      progressEvery: 1e9,
      backend,
    }),
  ]),
);
// The transform alone: one n×n gradient group, shapes and backend as the trainer gives them.
const grad = new Float64Array(n * n);
const u = mulberry32(1);
for (let i = 0; i < grad.length; i++) grad[i] = (u() * 2 - 1) * 1e-3;
const params = [new Float64Array(n * n)];
const transforms = new Map(
  OPTIMIZER_NAMES.map((name) => {
    const t = namedOptimizer(name, { lr });
    return [name, { t, state: t.init([n * n], { shapes: [[n, n]], backend }) }];
  }),
);
const work = [new Float64Array(n * n)];

const stepTimes = new Map<OptimizerName, number[]>(OPTIMIZER_NAMES.map((name) => [name, []]));
const applyTimes = new Map<OptimizerName, number[]>(OPTIMIZER_NAMES.map((name) => [name, []]));
for (const trainer of trainers.values()) trainer.advance(20); // warm up (JIT, the SVD's warm start)
for (let r = 0; r < rounds; r++) {
  for (const name of OPTIMIZER_NAMES) {
    const t0 = performance.now();
    trainers.get(name)!.advance(block);
    stepTimes.get(name)!.push((performance.now() - t0) / block);
    const { t, state } = transforms.get(name)!;
    const t1 = performance.now();
    for (let k = 0; k < block; k++) {
      work[0].set(grad);
      t.apply(work, state, params);
    }
    applyTimes.get(name)!.push((performance.now() - t1) / block);
  }
}
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const adamStep = median(stepTimes.get('adam')!);
const adamApply = median(applyTimes.get('adam')!);
console.log(
  `n=${n}, m=${samples}, depth 1 + L*/F, backend ${backend.name}; median of ${rounds} rounds of ${block} steps`,
);
console.log(
  `${'optimizer'.padEnd(14)} ${'step ms'.padStart(8)} ${'vs adam'.padStart(8)} ${'transform ms'.padStart(13)} ${'extra ms'.padStart(9)} ${'adam step + extra'.padStart(18)}`,
);
for (const name of OPTIMIZER_NAMES) {
  const s = median(stepTimes.get(name)!);
  const a = median(applyTimes.get(name)!);
  const extra = a - adamApply;
  console.log(
    `${name.padEnd(14)} ${s.toFixed(3).padStart(8)} ${(s / adamStep).toFixed(2).padStart(7)}× ${a.toFixed(3).padStart(13)} ` +
      `${`${extra >= 0 ? '+' : '−'}${Math.abs(extra).toFixed(3)}`.padStart(9)} ${((adamStep + extra) / adamStep).toFixed(2).padStart(17)}×`,
  );
}
console.log(
  'step ms: a whole training step (its SVD warm-starts from the last step, so it also depends on the path W takes); ' +
    "transform ms: the optimizer's apply alone on one n×n gradient; adam step + extra: Adam's step with this transform's extra time.",
);
