// Stress of a sweep stopping its pool at once: COUNT fast-failing sweeps (every run fails in its worker thread a few
// ms after starting), TOGETHER at a time on fresh pools of THREADS threads, in child processes; every abort (exit
// 134, V8's IsGraphAsync check when a thread still loading its modules is terminated) is counted. Expected: 0.
// Usage: node --import tsx bench/fast-fail.bench.ts [--count 60] [--threads 2] [--together 4] [--processes 3]
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    count: { type: 'string', default: '60' },
    threads: { type: 'string', default: '2' },
    together: { type: 'string', default: '4' },
    processes: { type: 'string', default: '3' },
  },
});
const [count, threads, together, processes] = [values.count, values.threads, values.together, values.processes].map(
  Number,
);
const dir = mkdtempSync(join(tmpdir(), 'mcomplete-fast-fail-'));
const start = performance.now();
const load = loadavg()[0];
/** One child process running its share of the sweeps: its exit code or signal, and its rejected sweeps. */
const child = (share: number): Promise<{ code: number | string; rejected: number; stderr: string }> =>
  new Promise((resolve) => {
    const p = spawn(
      process.execPath,
      ['--import', 'tsx', 'test/helpers/fast-fail-sweeps.ts', String(share), String(threads), String(together), dir],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    let err = '';
    p.stdout.on('data', (b: Buffer) => (out += b.toString()));
    p.stderr.on('data', (b: Buffer) => (err += b.toString()));
    p.on('exit', (code, signal) =>
      resolve({ code: code ?? signal ?? 'unknown', rejected: out.match(/rejected/g)?.length ?? 0, stderr: err }),
    );
  });
const shares = Array.from(
  { length: processes },
  (_, i) => Math.floor(count / processes) + (i < count % processes ? 1 : 0),
);
const results = await Promise.all(shares.map((s) => child(s)));
rmSync(dir, { recursive: true, force: true });
const aborts = results.filter((r) => r.code === 134 || r.code === 'SIGABRT' || /FATAL ERROR/.test(r.stderr)).length;
const rejected = results.reduce((a, r) => a + r.rejected, 0);
console.log(
  `fast-fail sweeps: ${rejected}/${count} rejected with their run's error, ${aborts} aborted processes of ${processes} ` +
    `(threads ${threads}, ${together} at a time per process), ${((performance.now() - start) / 1000).toFixed(0)} s, load ${load.toFixed(1)}`,
);
for (const r of results) if (r.code !== 0) console.log(`  a process exited ${r.code}: ${r.stderr.split('\n')[0]}`);
if (aborts > 0 || rejected !== count) process.exitCode = 1;
