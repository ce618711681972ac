// completeAsync: complete()'s jobs on worker threads. The same model bit for bit as complete() with 1 or 2 workers;
// the calling thread's event loop keeps running; an abort rejects promptly with an AbortError and leaves no thread.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { complete, parseTriplets, type LabeledObservations } from '../../src/index.ts';
import type { CompleteProgress } from '../../src/complete/tune.ts';
import { completeAsync } from '../../src/node.ts';
import { ParamError } from '../../src/params.ts';
import { DivergenceError } from '../../src/solver/loop.ts';
import { ratingsProblem } from '../helpers/ratings.ts';

/** A generated ratings file, parsed: a rank-`rank` matrix plus noise, a share `p` of it observed. */
function ratings(m: number, n: number, p: number, seed: number): LabeledObservations {
  const problem = ratingsProblem({ m, n, rank: 3, p, noise: 0.1, seed, offset: 3 });
  return parseTriplets(problem.observedCsv, { file: 'ratings.csv', columns: ['user', 'item', 'rating'] });
}

/** The same ratings plus row and column biases (b_i = sin i, c_j = cos 2j), which the centering check keeps. */
function withBiases(data: LabeledObservations): LabeledObservations {
  const o = data.observations;
  const values = Float64Array.from(o.values, (v, t) => v + Math.sin(o.rows[t]) + Math.cos(2 * o.cols[t]));
  return { ...data, observations: { ...o, values } };
}

/** Every cell of the model's matrix, by position. */
function everyCell(model: { predictAt(i: number, j: number): number }, m: number, n: number): Float64Array {
  const out = new Float64Array(m * n);
  for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) out[i * n + j] = model.predictAt(i, j);
  return out;
}

/** The threads of this process (Linux: /proc/self/status), or null where that is not readable. */
function threadCount(): number | null {
  const status = existsSync('/proc/self/status') ? readFileSync('/proc/self/status', 'utf8') : '';
  const m = /^Threads:\s+(\d+)/m.exec(status);
  return m ? Number(m[1]) : null;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

test('completeAsync with 0, 1 and 2 workers predicts every cell exactly as complete() (auto, soft-impute, no centering)', async () => {
  const plain = ratings(36, 30, 0.5, 4);
  const [m, n] = plain.observations.shape;
  // The centering check keeps the mean alone on the plain ratings and the biases on the biased ones: with 2 workers
  // the refit on the biases starts beside the check, and is thrown away in the first case, kept in the second.
  const cases = [
    { data: plain, kept: 'mean', options: { method: 'auto', seed: 3 } },
    { data: withBiases(plain), kept: 'biases', options: { method: 'auto', seed: 3 } },
    { data: plain, kept: 'mean', options: { method: 'soft-impute', seed: 1, ranks: [2, 5] } },
    { data: plain, kept: undefined, options: { method: 'auto', seed: 2, center: false } },
  ] as const;
  for (const { data, kept, options } of cases) {
    const sync = complete(data, options);
    assert.equal(sync.report.centerCheck?.kept, kept, JSON.stringify(options));
    const expected = everyCell(sync, m, n);
    for (const workers of [0, 1, 2]) {
      const model = await completeAsync(data, { ...options, workers });
      const got = everyCell(model, m, n);
      const at = got.findIndex((v, k) => !Object.is(v, expected[k]));
      assert.equal(at, -1, `${JSON.stringify(options)}, ${workers} workers: cell ${at} differs`);
      // The same settings tried, scored the same, and the same choice.
      const scores = (r: typeof sync.report): string =>
        JSON.stringify(r.tried.map((t) => [t.method, t.rank, t.lambda, t.steps, t.validationRMSE]));
      assert.equal(scores(model.report), scores(sync.report));
      assert.deepEqual(model.report.chosen.validationRMSE, sync.report.chosen.validationRMSE);
      assert.deepEqual(model.report.blend?.chosen?.weights, sync.report.blend?.chosen?.weights);
    }
  }
});

test('the calling thread keeps running timers while completeAsync fits', async () => {
  const data = ratings(36, 30, 0.5, 5);
  const ticks: number[] = [];
  const timer = setInterval(() => ticks.push(performance.now()), 5);
  const events: number[] = [];
  try {
    await completeAsync(data, { seed: 0, workers: 1, onProgress: () => events.push(performance.now()) });
  } finally {
    clearInterval(timer);
  }
  const first = events[0];
  const last = events[events.length - 1];
  assert.ok(events.length >= 3, `${events.length} progress events`);
  // A fit that blocked the thread (complete() does) would let no timer run between its first and last event.
  const during = ticks.filter((t) => t > first && t < last).length;
  assert.ok(during >= 3, `${during} timer ticks between the first and the last progress event`);
});

test('aborting mid-tuning rejects within seconds with an AbortError naming the phase, and ends every worker thread', async () => {
  const data = ratings(90, 80, 0.5, 6);
  // A first run to its end starts whatever threads the process keeps (libuv's pool, V8's): the baseline.
  await completeAsync(ratings(20, 20, 0.6, 1), { seed: 0, workers: 2 });
  await sleep(200);
  const before = threadCount();
  const controller = new AbortController();
  let during: number | null = null;
  let abortedAt = 0;
  const onProgress = (e: CompleteProgress): void => {
    // The first tuning run has finished: the others are in flight on both threads.
    if (e.phase === 'tuning' && abortedAt === 0) {
      during = threadCount();
      abortedAt = performance.now();
      controller.abort();
    }
  };
  await assert.rejects(
    completeAsync(data, { seed: 0, workers: 2, signal: controller.signal, onProgress }),
    (err: unknown) => {
      assert.ok(err instanceof DOMException, String(err));
      assert.equal(err.name, 'AbortError');
      assert.match(
        err.message,
        /aborted while tuning \(\d+ of \d+ tuning units done\); its worker threads are stopped/,
      );
      return true;
    },
  );
  assert.ok(abortedAt > 0, 'no tuning progress before the fit ended');
  const seconds = (performance.now() - abortedAt) / 1000;
  assert.ok(seconds < 10, `rejected ${seconds.toFixed(1)} s after the abort`);
  if (before !== null && during !== null) {
    assert.ok(during >= before + 2, `threads: ${before} before, ${during} while two workers ran`);
    // Terminated threads may take a moment to be joined.
    let after = threadCount() ?? 0;
    for (let t = 0; t < 50 && after > before; t++) {
      await sleep(100);
      after = threadCount() ?? 0;
    }
    assert.ok(after <= before, `threads: ${before} before, ${after} after the abort`);
  }
});

test('completeAsync refuses a bad workers count and an aborted signal before starting any thread', async () => {
  const data = ratings(12, 10, 0.6, 2);
  for (const workers of [1.5, -1, 257]) {
    await assert.rejects(completeAsync(data, { workers }), (err: unknown) => {
      assert.ok(err instanceof ParamError);
      assert.match(err.message, /workers must be an integer in \[0, 256\]/);
      return true;
    });
  }
  await assert.rejects(completeAsync(data, { signal: AbortSignal.abort() }), { name: 'AbortError' });
  await assert.rejects(completeAsync(data, { methd: 'auto' } as never), /unknown option "methd"/);
});

test('an error thrown on a worker thread keeps its class: a divergence is a DivergenceError, as with complete()', async () => {
  const data = ratings(12, 10, 0.6, 2);
  const options = { maxSteps: 5, lr: 1e16 };
  assert.throws(() => complete(data, options), DivergenceError);
  for (const workers of [1, 2]) {
    await assert.rejects(completeAsync(data, { ...options, workers }), (err: unknown) => {
      assert.ok(err instanceof DivergenceError, String(err));
      assert.match(err.message, /^training diverged: /);
      return true;
    });
  }
});
