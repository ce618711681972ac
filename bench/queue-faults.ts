// The collector under fault injection, at length: the seeded schedules of test/integration/queue-faults.test.ts
// (worker kills, collector kills and restarts, Redis restarts without persistence, duplicate collectors; real
// processes and a redis-server of its own on a loopback port), 300 by default. Stops at the first schedule that
// breaks the property (each run exactly once with the local pool's metrics, or a one-line stop, then resumed) and
// names its seed; else prints how many of each fault ran, the one-line stops seen, and the wall time.
// Usage: node --import tsx bench/queue-faults.ts [--schedules 300] [--first-seed 1]
import { mkdtempSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { sweep } from '../src/sweep/sweep.ts';
import { haveRedisServer, startRedis } from '../test/helpers/redis.ts';
import { FAULT_SPEC, FAULTS, startFaultHarness } from '../test/helpers/queue-faults.ts';

const { values } = parseArgs({
  options: { schedules: { type: 'string', default: '300' }, 'first-seed': { type: 'string', default: '1' } },
});
const count = Number(values.schedules);
const first = Number(values['first-seed']);
if (!haveRedisServer()) {
  console.log(
    '# bench/queue-faults.ts: skipped (no redis-server binary on the PATH; Debian: apt-get install redis-server)',
  );
  process.exit(0);
}
const dir = mkdtempSync(join(tmpdir(), 'mcomplete-queue-faults-bench-'));
const redis = await startRedis();
const t0 = performance.now();
const load0 = loadavg()[0];
const local = (await sweep(FAULT_SPEC, { out: join(dir, 'local.jsonl'), workers: 1 })).records;
const harness = await startFaultHarness({ redis, dir, local });
const faults = new Map<string, number>(FAULTS.map((f) => [f, 0]));
const stops = new Map<string, number>();
let collectors = 0;
let failed = false;
let ran = 0;
let stopping = false;
// Ctrl-C: finish the schedule in progress, then print the summary of those that ran (and end every process started).
process.once('SIGINT', () => {
  stopping = true;
  console.log('# SIGINT: stopping after this schedule');
});
try {
  for (let seed = first; seed < first + count && !stopping; seed++) {
    const outcome = await harness.runSchedule(seed);
    ran++;
    collectors += outcome.collectors;
    for (const e of outcome.events) faults.set(e.split('@')[0], (faults.get(e.split('@')[0]) ?? 0) + 1);
    for (const s of outcome.stopped) {
      // The kind of stop, without the run, pid or port it names.
      const kind = s.replace(/\d+/g, 'N').slice(0, 100);
      stops.set(kind, (stops.get(kind) ?? 0) + 1);
    }
    if ((seed - first + 1) % 25 === 0)
      console.log(`# ${seed - first + 1} schedules, ${((performance.now() - t0) / 1000).toFixed(0)} s`);
  }
} catch (err) {
  failed = true;
  console.log(`# FAILED: ${(err as Error).message}`);
} finally {
  await harness.close();
  await redis.stop();
}
const seconds = (performance.now() - t0) / 1000;
console.log(
  `# bench/queue-faults.ts: ${ran} of ${count} schedules from seed ${first}${failed ? ' (stopped at a failure)' : ', all held'}`,
);
console.log(`faults: ${[...faults].map(([k, v]) => `${k} ${v}`).join(', ')}; collectors started: ${collectors}`);
for (const [kind, n] of stops) console.log(`one-line stop ×${n}: ${kind}`);
console.log(
  `wall ${seconds.toFixed(0)} s; load average ${load0.toFixed(1)} at the start, ${loadavg()[0].toFixed(1)} at the end`,
);
process.exitCode = failed ? 1 : 0;
