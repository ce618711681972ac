// Run `count` sweeps whose runs all fail at once in their worker threads (identifiable masks at exactly
// (r + 1)·n samples: no draw of 10,000 has every line seen r + 1 times, a RangeError after a few ms), `together` at a
// time, each on a fresh pool of `threads` threads, and print one line per sweep. Each sweep must reject with the
// run's error; the process must never abort (exit 134, V8's IsGraphAsync check, when a thread still loading its
// modules is terminated). Used by test/integration/sweep-fast-fail.test.ts and bench/fast-fail.bench.ts.
// Usage: node --import tsx test/helpers/fast-fail-sweeps.ts COUNT THREADS TOGETHER OUTDIR
import { join } from 'node:path';
import { sweep } from '../../src/sweep/sweep.ts';
import type { SweepSpec } from '../../src/sweep/spec.ts';

const [count, threads, together] = process.argv.slice(2, 5).map(Number);
const dir = process.argv[5];
// Built in code, not validated: the worker is the first to find that no mask qualifies.
const spec: SweepSpec = {
  name: 'fast-fail',
  n: 10,
  rank: 1,
  samples: [20],
  masks: 'identifiable',
  seeds: Array.from({ length: 2 * threads }, (_, i) => i),
  methods: [{ name: 'g', method: 'gnmr' }],
  recordSpectrumEvery: 0,
};

/** Sweep i: it must reject with the run's own error. */
async function one(i: number): Promise<void> {
  const message = await sweep(spec, { out: join(dir, `fast-fail-${i}.jsonl`), workers: threads }).then(
    () => 'resolved',
    (err: Error) => err.message,
  );
  if (!/masks identifiable: none of/.test(message))
    throw new Error(`sweep ${i}: expected the run's error, got ${message}`);
  process.stdout.write(`sweep ${i}: rejected\n`);
}

for (let start = 0; start < count; start += together)
  await Promise.all(Array.from({ length: Math.min(together, count - start) }, (_, j) => one(start + j)));
